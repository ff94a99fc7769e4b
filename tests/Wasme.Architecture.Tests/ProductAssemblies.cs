namespace Wasme.Architecture.Tests;

/// <summary>The shipping assemblies (src/), as the build names them.</summary>
internal static class ProductAssemblies
{
    public static readonly string[] Names =
    [
        "Wasme.Input", "Wasme.Oci", "Wasme.Build", "Wasme.ProxyWasm", "Wasme.Proxy", "Wasme.FilterTesting", "Wasme.Istio",
        "Wasme.Kubernetes", "Wasme.Operator", "Wasme.Cache", "wasme",
    ];

    /// <summary>The full assembly name ArchUnitNET matches on (name, version, culture, public key token).</summary>
    public static string FullName(string name) => System.Reflection.Assembly.Load(name).FullName!;
}
