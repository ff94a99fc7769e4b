namespace Wasme.Kubernetes.Clients;

/// <summary>Where a kind lives in the API: group, version, plural and kind.</summary>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public static ResourceType FilterDeployment { get; } = new("wasme.io", "v1", "filterdeployments", "FilterDeployment");

    public static ResourceType Deployment { get; } = new("apps", "v1", "deployments", "Deployment");

    public static ResourceType DaemonSet { get; } = new("apps", "v1", "daemonsets", "DaemonSet");

    public static ResourceType StatefulSet { get; } = new("apps", "v1", "statefulsets", "StatefulSet");

    public static ResourceType EnvoyFilter { get; } = new("networking.istio.io", "v1alpha3", "envoyfilters", "EnvoyFilter");

    public static ResourceType WasmPlugin { get; } = new("extensions.istio.io", "v1alpha1", "wasmplugins", "WasmPlugin");

    public override string ToString() => $"{Plural}.{Group}";
}
