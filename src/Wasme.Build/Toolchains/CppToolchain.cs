namespace Wasme.Build.Toolchains;

/// <summary>
/// C++ with Emscripten through the project's Makefile (<c>make</c> writes <c>filter.wasm</c>).
/// <c>PROXY_WASM_CPP_SDK</c> from the environment tells the Makefile where the SDK checkout is.
/// </summary>
public sealed class CppToolchain(IToolRunner runner, Func<string, string?> getEnvironmentVariable) : IFilterToolchain
{
    public const string SdkVariable = "PROXY_WASM_CPP_SDK";

    public FilterLanguage Language => FilterLanguage.Cpp;

    public async Task<string> BuildAsync(ToolchainBuildRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!File.Exists(Path.Combine(request.ProjectDirectory, "Makefile")))
        {
            throw new ToolchainFailedException($"{request.ProjectDirectory} has no Makefile; create the project with `wasme init DIR --language cpp`", []);
        }

        ToolchainSteps.Require(runner, "em++", "Emscripten (https://emscripten.org/docs/getting_started/downloads.html), then `source emsdk_env.sh`");
        var make = ToolchainSteps.Require(runner, "make", "make (`apt-get install make`)");
        var sdk = getEnvironmentVariable(SdkVariable);
        if (string.IsNullOrEmpty(sdk) || !File.Exists(Path.Combine(sdk, "proxy_wasm_intrinsics.h")))
        {
            throw new ToolchainMissingException(
                "proxy-wasm-cpp-sdk",
                $"`git clone https://github.com/proxy-wasm/proxy-wasm-cpp-sdk` and `export {SdkVariable}=<that directory>`");
        }

        var output = Path.Combine(request.ProjectDirectory, "filter.wasm");
        if (File.Exists(output))
        {
            File.Delete(output);
        }

        var command = new ToolCommand(make, ["filter.wasm"], request.ProjectDirectory)
        {
            Environment = new Dictionary<string, string> { [SdkVariable] = sdk },
        };
        await ToolchainSteps.RunAsync(runner, command, request, cancellationToken);
        return ToolchainSteps.ExpectModule(output, "make");
    }
}
