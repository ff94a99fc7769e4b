namespace Wasme.Build.Toolchains;

/// <summary>TinyGo: <c>tinygo build -scheduler=none -target=wasi</c> into the scratch directory.</summary>
public sealed class TinyGoToolchain(IToolRunner runner) : IFilterToolchain
{
    private const string InstallHint = "TinyGo 0.28 or later (https://tinygo.org/getting-started/install/) and Go 1.21 or later";

    public FilterLanguage Language => FilterLanguage.TinyGo;

    public async Task<string> BuildAsync(ToolchainBuildRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!File.Exists(Path.Combine(request.ProjectDirectory, "go.mod")))
        {
            throw new ToolchainFailedException($"{request.ProjectDirectory} has no go.mod; create the project with `wasme init DIR --language tinygo`", []);
        }

        var tinygo = ToolchainSteps.Require(runner, "tinygo", InstallHint);
        var output = Path.Combine(request.ScratchDirectory, "filter.wasm");
        await ToolchainSteps.RunAsync(
            runner,
            new ToolCommand(tinygo, ["build", "-o", output, "-scheduler=none", "-target=wasi", "."], request.ProjectDirectory),
            request,
            cancellationToken);
        return ToolchainSteps.ExpectModule(output, "tinygo build");
    }
}
