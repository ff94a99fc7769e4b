using Microsoft.Extensions.Logging;

namespace Wasme.Testing.Kubernetes;

/// <summary>How to start a <see cref="KubernetesTestServer"/>. The defaults suit a unit test.</summary>
public sealed record KubernetesTestServerOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Where to write the kubeconfig; null writes one into a fresh temp directory that disposal deletes.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>Clock for timestamps, ages, watch timeouts, bookmarks and injected latency.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How many changes watches can resume from; older resourceVersions get 410 Gone (as after an etcd compaction).</summary>
    public int WatchHistoryLimit { get; init; } = 10_000;

    /// <summary>How often open watches that allow bookmarks get one.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Create missing namespaces on first use instead of answering 404 as a real cluster does.</summary>
    public bool AutoCreateNamespaces { get; init; }

    /// <summary>Namespaces present from the start, as in a fresh cluster.</summary>
    public IReadOnlyList<string> InitialNamespaces { get; init; } = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>What <c>/version</c> reports.</summary>
    public string GitVersion { get; init; } = "v1.32.0";

    /// <summary>Receives the server's request log (Debug) and internal errors; Kestrel's own logs stay off.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Whether <c>InstallIstioCrdsAsync</c> also turns on the stand-in for istiod's validating webhook
    /// (<c>validation.istio.io</c>: WasmPlugin and EnvoyFilter), as a real Istio install does. Off: only the CRD schemas judge.
    /// </summary>
    public bool IstioValidationWebhook { get; init; } = true;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(WatchHistoryLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BookmarkInterval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
