using System.Collections.Concurrent;
using k8s;
using Microsoft.Extensions.Logging;
using Wasme.Istio.Versions;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// The Istio release serving a namespace, found as <c>wasme deploy istio</c> finds it (the namespace's revision label,
/// then that revision's istiod), read from the API server at most once a minute per namespace pair.
/// Null when there is no istiod to ask: the caller falls back to its configured version.
/// </summary>
public sealed partial class IstioVersionDetector
{
    private readonly IKubernetes _client;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _ttl;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string IstioNamespace, string Namespace), (IstioVersion? Version, DateTimeOffset At)> _cache = new();

    public IstioVersionDetector(IKubernetes client, TimeProvider timeProvider, ILogger<IstioVersionDetector> logger, TimeSpan? ttl = null)
    {
        _client = client;
        _timeProvider = timeProvider;
        _logger = logger;
        _ttl = ttl ?? TimeSpan.FromMinutes(1);
    }

    public async Task<IstioVersion?> DetectAsync(string istioNamespace, string targetNamespace, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        if (_cache.TryGetValue((istioNamespace, targetNamespace), out var cached) && now - cached.At < _ttl)
        {
            return cached.Version;
        }

        IstioVersion? version;
        try
        {
            string? revision = null;
            try
            {
                var ns = await _client.CoreV1.ReadNamespaceAsync(targetNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                revision = IstiodVersion.RevisionOf(ns.Metadata?.Labels);
            }
            catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
            {
                // No namespace object (yet): the default revision applies.
            }

            var istiods = await _client.AppsV1.ListNamespacedDeploymentAsync(istioNamespace, labelSelector: IstiodVersion.IstiodSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
            (version, var source) = IstiodVersion.Find(istiods.Items, istioNamespace, revision);
            if (version != cached.Version || cached.At == default)
            {
                Log.Detected(_logger, targetNamespace, version?.ToString() ?? "unknown", source);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Forbidden or unreachable: translate with the configured version rather than not at all.
            Log.DetectionFailed(_logger, targetNamespace, istioNamespace, ex);
            version = null;
        }

        _cache[(istioNamespace, targetNamespace)] = (version, now);
        return version;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Namespace {Namespace} is served by Istio {Version} ({Source})")]
        public static partial void Detected(ILogger logger, string @namespace, string version, string source);

        [LoggerMessage(2, LogLevel.Warning, "Could not ask istiod in {IstioNamespace} which Istio serves {Namespace}; using the configured version")]
        public static partial void DetectionFailed(ILogger logger, string @namespace, string istioNamespace, Exception exception);
    }
}
