using System.CommandLine;
using Wasme.Build;
using Wasme.Build.Toolchains;
using Wasme.Oci.References;
using Wasme.Oci.Store;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme build assemblyscript|rust|tinygo|cpp DIR -t REF [--config FILE]</c>.</summary>
internal sealed class BuildSourceCommand : Command
{
    public BuildSourceCommand(CliContext context, FilterLanguage language)
        : base(FilterLanguages.Name(language), $"Build a {FilterLanguages.Name(language)} filter project ({Toolchain(language)}).")
    {
        var directory = new Argument<string>("DIR") { Description = "The filter project directory.", DefaultValueFactory = _ => "." };
        var config = new Option<string?>("--config", "-c") { Description = "Runtime config to store with the module (default: DIR/runtime-config.json)." };
        var options = new BuildOptions();
        Arguments.Add(directory);
        Options.Add(config);
        options.AddTo(this);
#if !WASME_IMAGES_EDITION
        var test = new Option<bool>("--test") { Description = "Run the filter's tests (DIR/tests, see `wasme test`) against the new module before storing it; store nothing if one fails." };
        Options.Add(test);
#endif

        SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                var reference = ImageReference.Parse(parseResult.GetValue(options.Tag)!);
                var request = new FilterCompileRequest
                {
                    Language = language,
                    ProjectDirectory = Path.GetFullPath(parseResult.GetValue(directory)!),
                    ConfigPath = parseResult.GetValue(config) is { } path ? Path.GetFullPath(path) : null,
                };
                var builder = CreateBuilder(context, parseResult.GetValue(options.Store));
                Func<CompiledFilter, CancellationToken, Task>? beforeStore = null;
#if !WASME_IMAGES_EDITION
                if (parseResult.GetValue(test))
                {
                    beforeStore = Testing.BuildTestGate.For(context, request.ProjectDirectory);
                }
#endif
                var result = await BuildProgress.RunAsync(
                    context,
                    parseResult.GetValue(options.Verbose),
                    $"Building {request.ProjectDirectory}",
                    output => beforeStore is null
                        ? builder.BuildAsync(request with { Output = output }, reference, cancellationToken)
                        : builder.BuildAsync(request with { Output = output }, reference, beforeStore, cancellationToken));
                BuildReport.Write(context, result);
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return AuthoringErrors.Report(context, ex);
            }
        });
    }

    public static FilterBuilder CreateBuilder(CliContext context, string? store)
    {
        var compiler = FilterCompiler.CreateDefault(new ProcessToolRunner(context.GetEnvironmentVariable), context.GetEnvironmentVariable);
        var root = LocalImageStore.ResolveRoot(store, context.GetEnvironmentVariable);
        return new FilterBuilder(compiler, new LocalImageStore(root, context.TimeProvider));
    }

    private static string Toolchain(FilterLanguage language) => language switch
    {
        FilterLanguage.AssemblyScript => "npm install && npm run asbuild",
        FilterLanguage.Rust => $"cargo build --release --target {RustToolchain.Target}",
        FilterLanguage.TinyGo => "tinygo build -scheduler=none -target=wasi",
        FilterLanguage.Cpp => "make with Emscripten and $PROXY_WASM_CPP_SDK",
        _ => throw new ArgumentOutOfRangeException(nameof(language)),
    };
}
