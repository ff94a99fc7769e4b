namespace Wasme.Kubernetes.Caching;

/// <summary>How an informer lists, watches and resyncs.</summary>
public sealed record InformerOptions
{
    /// <summary>Watch only this namespace; <c>null</c> watches all namespaces.</summary>
    public string? Namespace { get; init; }

    /// <summary>Only objects matching this label selector.</summary>
    public string? LabelSelector { get; init; }

    /// <summary>How often every cached object is replayed to handlers; <see cref="TimeSpan.Zero"/> turns it off.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Wait before re-listing after a transport error; it doubles while the errors go on.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between lists while list or watch keeps failing (client-go's reflector backs off to 30 s).</summary>
    public TimeSpan ErrorBackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between lists of a kind the server does not serve (the delay doubles from <see cref="ErrorBackoff"/>).</summary>
    public TimeSpan NotServedBackoffMax { get; init; } = TimeSpan.FromMinutes(1);
}
