using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Istio;

/// <summary>A <see cref="CliRunner"/> for the Istio commands (no KUBECONFIG from the host), and the golden cases' paths and facts.</summary>
internal static class IstioCli
{
    public static CliRunner Create() => new CliRunner().WithEnvironment("KUBECONFIG", null);

    public static string Root { get; } = FindRoot();

    public static string GoldenCase(string name) => Path.Combine(Root, "tests", "Wasme.Istio.Tests", "testassets", name);

    /// <summary>The image facts of the golden cases (testassets' default), as offline flags.</summary>
    public static string[] SeedFacts =>
    [
        "--module-sha256", "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267",
        "--manifest-digest", "sha256:8a3b2f1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
        "--abi-version", "v0-097b7f2e4cc1fb490cc1943d0d633655ac3c522f",
        "--abi-version", "v0-4689a30309abf31aee9ae36e73d34b1bb182685f",
        "--abi-version", "0.2.1",
        "--image-root-id", "add_header",
    ];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Wasme.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Wasme.slnx not found");
    }
}
