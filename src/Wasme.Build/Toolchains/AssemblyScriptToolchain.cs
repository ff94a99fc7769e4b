namespace Wasme.Build.Toolchains;

/// <summary>
/// AssemblyScript through the project's own npm scripts: <c>npm install</c>, then <c>npm run asbuild</c>,
/// which writes <c>build/optimized.wasm</c> (the layout of the original wasme template and of the SDK's README).
/// </summary>
public sealed class AssemblyScriptToolchain(IToolRunner runner) : IFilterToolchain
{
    public const string OutputPath = "build/optimized.wasm";
    private const string InstallHint = "Node.js and npm (https://nodejs.org, or `apt-get install nodejs npm`)";

    public FilterLanguage Language => FilterLanguage.AssemblyScript;

    public async Task<string> BuildAsync(ToolchainBuildRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!File.Exists(Path.Combine(request.ProjectDirectory, "package.json")))
        {
            throw new ToolchainFailedException(
                $"{request.ProjectDirectory} has no package.json; create the project with `wasme init DIR --language assemblyscript`", []);
        }

        var npm = ToolchainSteps.Require(runner, "npm", InstallHint);
        if (!request.SkipDependencyInstall)
        {
            await ToolchainSteps.RunAsync(
                runner, new ToolCommand(npm, ["install", "--no-audit", "--no-fund"], request.ProjectDirectory), request, cancellationToken);
        }

        var output = Path.Combine(request.ProjectDirectory, OutputPath);
        if (File.Exists(output))
        {
            // A stale module from an earlier build must not pass for this build's output.
            File.Delete(output);
        }

        await ToolchainSteps.RunAsync(runner, new ToolCommand(npm, ["run", "asbuild"], request.ProjectDirectory), request, cancellationToken);
        return ToolchainSteps.ExpectModule(output, "npm run asbuild");
    }
}
