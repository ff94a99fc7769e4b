using System.Globalization;
using System.Net;
using k8s.Autorest;
using k8s.LeaderElection;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.Hosting;

/// <summary>
/// The Lease lock the elector uses, remembering when this replica last renewed it, and the fence every write passes.
/// client-go's contract: a leader stops acting once its renew deadline has passed without a renewal, which is before the
/// Lease can expire for the others (renew deadline &lt; lease duration). The elector notices only at its next renewal
/// attempt; a process paused in between (GC, SIGSTOP, a starved node) would otherwise go on writing after another
/// replica took over. The time counted is from when the renewing request was sent, the conservative end.
/// </summary>
public sealed class LeaseFence : ILock, IWriteFence, IDisposable
{
    private readonly CancellationTokenSource _closed = new();
    private readonly ILock _inner;
    private readonly TimeSpan _renewDeadline;
    private readonly TimeProvider _timeProvider;
    private long _renewedAt;
    private volatile bool _held;
    private volatile string? _takenBy;
    private LeaderElectionRecord? _lastRenewal;

    public LeaseFence(ILock inner, TimeSpan renewDeadline, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _renewDeadline = renewDeadline;
        _timeProvider = timeProvider;
    }

    public string Identity => _inner.Identity;

    /// <summary>True once <see cref="Close"/> ran: this replica has stopped leading for good.</summary>
    public bool IsClosed => _closed.IsCancellationRequested;

    public string Describe() => _inner.Describe();

    /// <summary>
    /// Reads the Lease; one another replica holds closes the fence at once. The elector itself goes on "leading" until its
    /// renew deadline runs out, and two replicas would write meanwhile. A renewal of our own opens the fence again.
    /// </summary>
    public async Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
    {
        using var call = Open(cancellationToken);
        LeaderElectionRecord record;
        try
        {
            record = await _inner.GetAsync(call.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnreachable(ex, call.Token))
        {
            // The elector retries (until its renew deadline) only an HttpOperationException; anything else from a read ends
            // its renew loop at once, so a single refused connection gave the Lease up. Say it as the 503 it amounts to.
            throw new HttpOperationException($"the Kubernetes API server could not be reached: {ex.Message}", ex)
            {
                Response = new HttpResponseMessageWrapper(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable), string.Empty),
            };
        }

        if (_held && record.HolderIdentity != Identity)
        {
            _takenBy = record.HolderIdentity;
            _held = false;
        }

        return record;
    }

    public Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        TrackAsync(record, _inner.CreateAsync, cancellationToken);

    public Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        TrackAsync(record, _inner.UpdateAsync, cancellationToken);

    /// <summary>
    /// Ends this lock's use by the elector once it stopped leading: calls in flight are cancelled and later ones fail at
    /// once. KubernetesClient's elector leaves its renewal loop running after it gave up at the renew deadline, so
    /// without this a replica that had reported the loss could renew the Lease again, and once its client was disposed
    /// the loop logged NullReferenceExceptions until the process ended. <see cref="ReleaseAsync"/> still works.
    /// </summary>
    public void Close() => _closed.Cancel();

    public void Dispose() => _closed.Dispose();

    /// <summary>
    /// A renewal or take-over that could not reach the API server (the elector only copes with an HTTP error answer, so it
    /// is reported here and the write counts as not done: the elector retries it until its renew deadline).
    /// </summary>
    public event Action<Exception>? Unreachable;

    public void EnsureMayWrite()
    {
        if (IsClosed)
        {
            throw new LeaseExpiredException($"{Identity} has stopped leading; not writing");
        }

        if (!_held)
        {
            throw new LeaseExpiredException(_takenBy is { Length: > 0 } holder
                ? $"{Identity} read {holder} as the holder of the Lease; not writing"
                : $"{Identity} does not hold the Lease; not writing");
        }

        var since = _timeProvider.GetElapsedTime(Interlocked.Read(ref _renewedAt));
        if (since >= _renewDeadline)
        {
            throw new LeaseExpiredException(string.Create(CultureInfo.InvariantCulture, $"{Identity} last renewed the Lease {since.TotalSeconds:0.#}s ago, past the {_renewDeadline.TotalSeconds:0.#}s renew deadline; not writing, another replica may lead by now"));
        }
    }

    /// <summary>
    /// Gives the Lease up on a clean stop, as client-go's ReleaseOnCancel does: holder cleared, a 1 s duration, so a standby
    /// takes over at its next retry instead of after the whole lease duration. Call it once nothing more will be written.
    /// The replace carries the resourceVersion of our last renewal, so a Lease another replica holds by now is left alone.
    /// </summary>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken)
    {
        var last = _lastRenewal;
        if (!_held || last is null)
        {
            return false;
        }

        _held = false;
        var transitions = last.LeaderTransitions;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var now = _timeProvider.GetUtcNow().UtcDateTime;
            if (await _inner.UpdateAsync(
                new LeaderElectionRecord
                {
                    // Empty, not null: KubernetesClient's elector reads a null holder as "no Lease yet" and tries to create it.
                    HolderIdentity = string.Empty,
                    LeaseDurationSeconds = 1,
                    AcquireTime = now,
                    RenewTime = now,
                    LeaderTransitions = transitions,
                },
                cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            // A conflict: the Lease changed since our last renewal as we saw it. A stop that cancelled a renewal in flight
            // leaves exactly that (the server applied it, the answer was dropped), so read it again and release it if it
            // is still ours; one another replica holds by now is left alone.
            var current = await _inner.GetAsync(cancellationToken).ConfigureAwait(false);
            if (current.HolderIdentity != Identity)
            {
                return false;
            }

            transitions = current.LeaderTransitions;
        }

        return false;
    }

    private async Task<bool> TrackAsync(LeaderElectionRecord record, Func<LeaderElectionRecord, CancellationToken, Task<bool>> write, CancellationToken cancellationToken)
    {
        using var call = Open(cancellationToken);
        var sent = _timeProvider.GetTimestamp();
        bool written;
        try
        {
            written = await write(record, call.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnreachable(ex, call.Token))
        {
            Unreachable?.Invoke(ex);
            return false;
        }

        if (written && record.HolderIdentity == Identity && !IsClosed)
        {
            Interlocked.Exchange(ref _renewedAt, sent);
            _lastRenewal = record;
            _takenBy = null;
            _held = true;
        }

        return written;
    }

    /// <summary>A connection refused or reset, or the client's timeout: not an answer from the API server.</summary>
    private static bool IsUnreachable(Exception ex, CancellationToken call) =>
        ex is HttpRequestException || (ex is OperationCanceledException && !call.IsCancellationRequested);

    /// <summary>A token for one elector call, cancelled when the lock is closed; refuses the call if it already is.</summary>
    private CancellationTokenSource Open(CancellationToken cancellationToken)
    {
        var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        if (IsClosed)
        {
            call.Dispose();
            throw new OperationCanceledException($"{Identity} has stopped leading; the Lease is no longer read or renewed", _closed.Token);
        }

        return call;
    }
}
