namespace Wasme.ProxyWasm;

/// <summary>What happens to requests once a plugin's VM has failed (trap, deadline, memory cap, start/configure refused).</summary>
public enum FailurePolicy
{
    /// <summary>Answer with a local 503 (Envoy's default, <c>FAIL_CLOSED</c>).</summary>
    FailClosed,

    /// <summary>Skip the filter and let the request through (<c>FAIL_OPEN</c>).</summary>
    FailOpen,

    /// <summary>Fail the current request closed, then start a new VM for later requests, with exponential backoff (<c>FAIL_RELOAD</c>).</summary>
    Reload,
}
