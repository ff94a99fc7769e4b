using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Storage;

namespace Wasme.Testing.Kubernetes.Faults;

/// <summary>
/// Failures a test can switch on while real clients talk to the server: conflicts on writes,
/// errors on matching paths, dropped watch streams and added latency. All off by default.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly ObjectStore _store;
    private readonly List<PathFailure> _pathFailures = [];
    private readonly List<(PathFailure Match, int RetryAfterSeconds)> _throttles = [];
    private int _conflictEvery;
    private int _closeWatches;
    private long _writes;

    internal FaultInjector(ObjectStore store)
    {
        _store = store;
    }

    /// <summary>Raised when a request starts waiting out <see cref="Latency"/>; lets a test advance a fake clock at the right moment.</summary>
    public event Action<string>? RequestDelayed;

    /// <summary>Delay added before every API request is handled (measured on the server's TimeProvider).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>How many writes have been answered with an injected 409 so far.</summary>
    public int InjectedConflicts { get; private set; }

    /// <summary>Answers every <paramref name="n"/>th write (POST, PUT, PATCH, DELETE) with 409 Conflict; 0 turns it off.</summary>
    public void ConflictEveryNthWrite(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        lock (_gate)
        {
            _conflictEvery = n;
            _writes = 0;
        }
    }

    /// <summary>
    /// Fails requests whose path matches <paramref name="pathPattern"/> (a regular expression) with <paramref name="statusCode"/>,
    /// optionally only for one HTTP method and only <paramref name="times"/> times.
    /// </summary>
    public void FailPath(string pathPattern, int statusCode = 500, string? method = null, int? times = null)
    {
        lock (_gate)
        {
            _pathFailures.Add(new PathFailure(new Regex(pathPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), statusCode, method, times));
        }
    }

    /// <summary>
    /// Throttles requests whose path matches <paramref name="pathPattern"/> as kube-apiserver's API Priority and Fairness (and
    /// its max-in-flight filter) rejects them: 429 with <c>Retry-After: <paramref name="retryAfterSeconds"/></c> and the plain-text
    /// body <c>Too many requests, please try again later.</c>, not a Status; optionally one HTTP method, <paramref name="times"/> times.
    /// </summary>
    public void Throttle(string pathPattern, int retryAfterSeconds = 1, string? method = null, int? times = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retryAfterSeconds);
        lock (_gate)
        {
            _throttles.Add((new PathFailure(new Regex(pathPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), 429, method, times), retryAfterSeconds));
        }
    }

    /// <summary>How many requests have been answered with an injected 429 so far.</summary>
    public int InjectedThrottles { get; private set; }

    /// <summary>
    /// Ends every new watch (or the next <paramref name="times"/>) right after its 200 and before any event, as a proxy that cuts
    /// long requests or an API server shutting down does; <c>null</c> keeps it on until <see cref="Reset"/>.
    /// </summary>
    public void CloseWatchesAtOnce(int? times = null)
    {
        lock (_gate)
        {
            _closeWatches = times ?? int.MaxValue;
        }
    }

    /// <summary>How many watches have been ended at once so far.</summary>
    public int ClosedWatches { get; private set; }

    /// <summary>Turns off every fault.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _pathFailures.Clear();
            _throttles.Clear();
            _closeWatches = 0;
            _conflictEvery = 0;
            Latency = TimeSpan.Zero;
        }
    }

    /// <summary>Watch streams open now.</summary>
    public int OpenWatches => _store.OpenWatches;

    /// <summary>Closes every open watch stream now, as an API server restart would; returns how many were open.</summary>
    public int DropWatches() => _store.DropWatches();

    internal void OnDelayed(string path) => RequestDelayed?.Invoke(path);

    /// <summary>The injected failure for this request, if any.</summary>
    internal ApiException? Check(string method, string path)
    {
        lock (_gate)
        {
            foreach (var failure in _pathFailures)
            {
                if ((failure.Method is null || string.Equals(failure.Method, method, StringComparison.OrdinalIgnoreCase))
                    && failure.Pattern.IsMatch(path)
                    && failure.Remaining is null or > 0)
                {
                    failure.Remaining--;
                    return new ApiException(failure.StatusCode, failure.StatusCode == 500 ? "InternalError" : "InjectedFault",
                        $"Internal error occurred: injected fault for {method} {path}");
                }
            }

            if (_conflictEvery > 0 && method is "POST" or "PUT" or "PATCH" or "DELETE" && ++_writes % _conflictEvery == 0)
            {
                InjectedConflicts++;
                return new ApiException(409, "Conflict",
                    $"Operation cannot be fulfilled on {path}: the object has been modified; please apply your changes to the latest version and try again (injected)");
            }

            return null;
        }
    }

    /// <summary>True when this watch is to end at once.</summary>
    internal bool TakeWatchClose()
    {
        lock (_gate)
        {
            if (_closeWatches <= 0)
            {
                return false;
            }

            if (_closeWatches != int.MaxValue)
            {
                _closeWatches--;
            }

            ClosedWatches++;
            return true;
        }
    }

    /// <summary>The Retry-After seconds of an injected throttle for this request, if any.</summary>
    internal int? CheckThrottle(string method, string path)
    {
        lock (_gate)
        {
            foreach (var (match, retryAfter) in _throttles)
            {
                if ((match.Method is null || string.Equals(match.Method, method, StringComparison.OrdinalIgnoreCase))
                    && match.Pattern.IsMatch(path)
                    && match.Remaining is null or > 0)
                {
                    match.Remaining--;
                    InjectedThrottles++;
                    return retryAfter;
                }
            }

            return null;
        }
    }

    private sealed class PathFailure(Regex pattern, int statusCode, string? method, int? remaining)
    {
        public Regex Pattern { get; } = pattern;

        public int StatusCode { get; } = statusCode;

        public string? Method { get; } = method;

        public int? Remaining { get; set; } = remaining;
    }
}
