using System.Text.RegularExpressions;

namespace Wasme.Build.Toolchains;

/// <summary>Rust: <c>cargo build --release --target wasm32-wasip1</c>; the module is named after the crate.</summary>
public sealed partial class RustToolchain(IToolRunner runner) : IFilterToolchain
{
    public const string Target = "wasm32-wasip1";
    private const string InstallHint = "rustup (https://rustup.rs), then `rustup target add wasm32-wasip1`";

    public FilterLanguage Language => FilterLanguage.Rust;

    public async Task<string> BuildAsync(ToolchainBuildRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var manifest = Path.Combine(request.ProjectDirectory, "Cargo.toml");
        if (!File.Exists(manifest))
        {
            throw new ToolchainFailedException($"{request.ProjectDirectory} has no Cargo.toml; create the project with `wasme init DIR --language rust`", []);
        }

        var crate = PackageName().Match(await File.ReadAllTextAsync(manifest, cancellationToken)) is { Success: true } match
            ? match.Groups[1].Value
            : throw new ToolchainFailedException($"{manifest} has no [package] name", []);
        var cargo = ToolchainSteps.Require(runner, "cargo", InstallHint);
        try
        {
            await ToolchainSteps.RunAsync(
                runner, new ToolCommand(cargo, ["build", "--release", "--target", Target], request.ProjectDirectory), request, cancellationToken);
        }
        catch (ToolchainFailedException ex) when (ex.Output.Any(line => line.Contains("target may not be installed", StringComparison.Ordinal)))
        {
            throw new ToolchainMissingException($"Rust target {Target}", $"`rustup target add {Target}`");
        }

        var module = Path.Combine(request.ProjectDirectory, "target", Target, "release", crate.Replace('-', '_') + ".wasm");
        return ToolchainSteps.ExpectModule(module, "cargo build");
    }

    [GeneratedRegex(@"^\s*name\s*=\s*""([^""]+)""", RegexOptions.Multiline)]
    private static partial Regex PackageName();
}
