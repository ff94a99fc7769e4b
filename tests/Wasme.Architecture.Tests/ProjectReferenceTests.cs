using System.Xml.Linq;

namespace Wasme.Architecture.Tests;

/// <summary>
/// The same layering at the level of src/*/*.csproj, transitively: a reference the compiler drops because no type uses it
/// yet still ships the assembly and invites its use, so it is refused here before any code depends on it.
/// </summary>
public sealed class ProjectReferenceTests
{
    public static TheoryData<string, string[]> Forbidden() => new()
    {
        { "Wasme.Oci", ["Wasme.Kubernetes", "Wasme.Operator", "Wasme.Cache", "package KubernetesClient"] },
        { "Wasme.Build", ["Wasme.Kubernetes", "Wasme.Operator", "Wasme.Cache", "package KubernetesClient"] },
        { "Wasme.ProxyWasm", ["Wasme.Oci", "Wasme.Kubernetes", "package KubernetesClient", "framework Microsoft.AspNetCore.App"] },
        { "Wasme.Istio", ["Wasme.Kubernetes", "Wasme.Operator", "Wasme.Cache", "Wasme.Cli", "framework Microsoft.AspNetCore.App"] },
        { "Wasme.Operator", ["Wasme.ProxyWasm", "Wasme.Proxy", "Wasme.FilterTesting", "package Wasmtime"] },
        { "Wasme.Cache", ["Wasme.Operator", "Wasme.ProxyWasm", "Wasme.Build", "package Wasmtime"] },
        { "Wasme.Input", ["Wasme.Oci", "Wasme.Build", "Wasme.ProxyWasm", "Wasme.Proxy", "Wasme.Istio", "Wasme.Kubernetes", "Wasme.Operator", "Wasme.Cache", "Wasme.Signing", "Wasme.FilterTesting", "Wasme.Cli"] },
        { "Wasme.Kubernetes", ["Wasme.Oci", "Wasme.Build", "Wasme.ProxyWasm", "Wasme.Proxy", "Wasme.Istio", "Wasme.Operator", "Wasme.Cache", "Wasme.Cli"] },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void A_project_does_not_reference_what_its_layer_must_not_know(string project, string[] forbidden)
    {
        var reached = Closure(project);

        Assert.True(
            !reached.Keys.Intersect(forbidden).Any(),
            $"{project} reaches {string.Join(", ", reached.Keys.Intersect(forbidden).Select(f => $"{f} (via {reached[f]})"))}; README.md (Layout) says it must not");
    }

    /// <summary>Every project, package and framework <paramref name="project"/> reaches, with the project that brings it in.</summary>
    private static Dictionary<string, string> Closure(string project)
    {
        var reached = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Queue<string>([project]);
        while (pending.TryDequeue(out var current))
        {
            var file = Path.Combine(Repository.Root, "src", current, current + ".csproj");
            var document = XDocument.Load(file);
            foreach (var element in document.Descendants())
            {
                var include = element.Attribute("Include")?.Value;
                var key = (element.Name.LocalName, include) switch
                {
                    ("ProjectReference", { } path) => Path.GetFileNameWithoutExtension(path),
                    ("PackageReference", { } name) => $"package {name}",
                    ("FrameworkReference", { } name) => $"framework {name}",
                    _ => null,
                };
                if (key is not null && reached.TryAdd(key, current) && element.Name.LocalName == "ProjectReference")
                {
                    pending.Enqueue(key);
                }
            }
        }

        return reached;
    }
}
