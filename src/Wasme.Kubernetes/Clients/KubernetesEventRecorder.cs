using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Wasme.Kubernetes.Clients;

/// <summary>
/// Writes core/v1 Events. Callers record only on change, so there is no aggregation here; a failure to
/// post an Event is logged and never fails a reconcile.
/// </summary>
public sealed partial class KubernetesEventRecorder : IEventRecorder
{
    private const int MaxMessageLength = 1024;
    private readonly IKubernetes _client;
    private readonly string _component;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public KubernetesEventRecorder(IKubernetes client, string component, TimeProvider timeProvider, ILogger<KubernetesEventRecorder> logger)
    {
        _client = client;
        _component = component;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> subject, string type, string reason, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var now = _timeProvider.GetUtcNow().UtcDateTime;
        var ns = subject.Metadata.NamespaceProperty ?? "default";
        var @event = new Corev1Event
        {
            Metadata = new V1ObjectMeta
            {
                Name = string.Create(CultureInfo.InvariantCulture, $"{subject.Metadata.Name}.{now.Ticks:x}{Random.Shared.Next(0x1000):x3}"),
                NamespaceProperty = ns,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = subject.ApiVersion,
                Kind = subject.Kind,
                Name = subject.Metadata.Name,
                NamespaceProperty = ns,
                Uid = subject.Metadata.Uid,
                ResourceVersion = subject.Metadata.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message.Length > MaxMessageLength ? message[..MaxMessageLength] : message,
            Source = new V1EventSource { Component = _component },
            ReportingComponent = _component,
            ReportingInstance = Environment.MachineName,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };

        try
        {
            await _client.CoreV1.CreateNamespacedEventAsync(@event, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex) || KubernetesErrors.IsNamespaceTerminating(ex))
        {
            // The namespace is going or gone (the last Event of a FilterDeployment whose namespace was deleted): nobody reads it.
            Log.EventDropped(_logger, reason, subject.Metadata.Name, ns);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.EventFailed(_logger, reason, subject.Metadata.Name, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Could not record event {Reason} on {Name}")]
        public static partial void EventFailed(ILogger logger, string reason, string name, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "Event {Reason} on {Name} not recorded: namespace {Namespace} is being deleted or gone")]
        public static partial void EventDropped(ILogger logger, string reason, string name, string @namespace);
    }
}
