using k8s;
using k8s.Models;

namespace Wasme.Kubernetes.Clients;

/// <summary>Posts Kubernetes Events about an object (<c>kubectl describe</c> shows them).</summary>
public interface IEventRecorder
{
    /// <summary>Records one event; <paramref name="type"/> is <c>Normal</c> or <c>Warning</c>, <paramref name="reason"/> a short CamelCase word.</summary>
    Task RecordAsync(IKubernetesObject<V1ObjectMeta> subject, string type, string reason, string message, CancellationToken cancellationToken);
}

public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}
