using System.Globalization;
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
public sealed class LeaseFence : ILock, IWriteFence
{
    private readonly ILock _inner;
    private readonly TimeSpan _renewDeadline;
    private readonly TimeProvider _timeProvider;
    private long _renewedAt;
    private volatile bool _held;

    public LeaseFence(ILock inner, TimeSpan renewDeadline, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _renewDeadline = renewDeadline;
        _timeProvider = timeProvider;
    }

    public string Identity => _inner.Identity;

    public string Describe() => _inner.Describe();

    public Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default) => _inner.GetAsync(cancellationToken);

    public Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        TrackAsync(record, _inner.CreateAsync, cancellationToken);

    public Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        TrackAsync(record, _inner.UpdateAsync, cancellationToken);

    public void EnsureMayWrite()
    {
        if (!_held)
        {
            throw new LeaseExpiredException($"{Identity} does not hold the Lease; not writing");
        }

        var since = _timeProvider.GetElapsedTime(Interlocked.Read(ref _renewedAt));
        if (since >= _renewDeadline)
        {
            throw new LeaseExpiredException(string.Create(CultureInfo.InvariantCulture, $"{Identity} last renewed the Lease {since.TotalSeconds:0.#}s ago, past the {_renewDeadline.TotalSeconds:0.#}s renew deadline; not writing, another replica may lead by now"));
        }
    }

    private async Task<bool> TrackAsync(LeaderElectionRecord record, Func<LeaderElectionRecord, CancellationToken, Task<bool>> write, CancellationToken cancellationToken)
    {
        var sent = _timeProvider.GetTimestamp();
        var written = await write(record, cancellationToken).ConfigureAwait(false);
        if (written && record.HolderIdentity == Identity)
        {
            Interlocked.Exchange(ref _renewedAt, sent);
            _held = true;
        }

        return written;
    }
}
