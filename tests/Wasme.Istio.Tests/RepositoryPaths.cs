namespace Wasme.Istio.Tests;

/// <summary>Finds files in the source tree, so golden files are read and rewritten where they are checked in.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string TestAssets => Path.Combine(Root, "tests", "Wasme.Istio.Tests", "testassets");

    public static string Crd => Path.Combine(Root, "deploy", "crds", "filterdeployments.wasme.io.yaml");

    /// <summary>Istio's own CRDs, vendored unchanged with their license (third_party/istio/README.md).</summary>
    public static string IstioCrds => Path.Combine(Root, "third_party", "istio", "customresourcedefinitions.gen.yaml");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Wasme.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Wasme.slnx not found above " + AppContext.BaseDirectory);
    }
}
