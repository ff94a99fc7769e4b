using System.CommandLine;
using Wasme.Build;
using Wasme.Build.Toolchains;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.References;
using Wasme.Oci.Store;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme build assemblyscript|rust|tinygo|cpp DIR -t REF [--config FILE]</c>.</summary>
internal sealed class BuildSourceCommand : WasmeCommand
{
    private readonly FilterLanguage _language;
    private readonly Argument<string> _directory = new("DIR") { Description = "The filter project directory.", DefaultValueFactory = _ => "." };
    private readonly Option<string?> _config = new("--config", "-c") { Description = "Runtime config to store with the module (default: DIR/runtime-config.json)." };
    private readonly BuildOptions _options = new();
#if !WASME_IMAGES_EDITION
    private readonly Option<bool> _test = new("--test") { Description = "Run the filter's tests (DIR/tests, see `wasme test`) against the new module before storing it; store nothing if one fails." };
#endif

    public BuildSourceCommand(CliContext context, FilterLanguage language)
        : base(context, FilterLanguages.Name(language), $"Build a filter project in {FilterLanguages.Name(language)} ({Toolchain(language)}).")
    {
        _language = language;
        Arguments.Add(_directory);
        Options.Add(_config);
        _options.AddTo(this);
#if !WASME_IMAGES_EDITION
        Options.Add(_test);
#endif
        var name = FilterLanguages.Name(language);
        Example("Build the project in the current directory into the local store", $"wasme build {name} -t my-filter:v1");
        Example("Build, run the project's tests against the module, and store it only if they pass; show the toolchain's output", $"wasme build {name} ./my-filter -t ghcr.io/acme/my-filter:v1 --test --verbose");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(parseResult.GetValue(_options.Tag)!);
        var request = new FilterCompileRequest
        {
            Language = _language,
            ProjectDirectory = PathArguments.Full(parseResult.GetValue(_directory), "DIR", "./my-filter"),
            ConfigPath = parseResult.GetValue(_config) is { } path ? PathArguments.Full(path, "--config", "runtime-config.json") : null,
        };
        var store = OpenStore(Context, parseResult.GetValue(_options.Store));
        var builder = CreateBuilder(Context, store);
        Func<CompiledFilter, CancellationToken, Task>? beforeStore = null;
#if !WASME_IMAGES_EDITION
        if (parseResult.GetValue(_test))
        {
            var console = _options.Output.ValueOf(parseResult).IsData() ? Context.Error : Context.Out;
            beforeStore = Testing.BuildTestGate.For(console.Profile.Out.Writer, request.ProjectDirectory);
        }
#endif
        var result = await BuildProgress.RunAsync(
            Context,
            GlobalOptions.GetVerbosity(parseResult) >= Verbosity.Verbose,
            $"Building {request.ProjectDirectory}",
            output => beforeStore is null
                ? builder.BuildAsync(request with { Output = output }, reference, cancellationToken)
                : builder.BuildAsync(request with { Output = output }, reference, beforeStore, cancellationToken));
        await BuildReport.WriteAsync(Context, _options.Output.ValueOf(parseResult), result, store, cancellationToken);
        return ExitCodes.Success;
    }

    public static LocalImageStore OpenStore(CliContext context, string? store) =>
        new(LocalImageStore.ResolveRoot(store, context.GetEnvironmentVariable), context.TimeProvider);

    public static FilterBuilder CreateBuilder(CliContext context, LocalImageStore store) =>
        new(FilterCompiler.CreateDefault(new ProcessToolRunner(context.GetEnvironmentVariable), context.GetEnvironmentVariable), store);

    private static string Toolchain(FilterLanguage language) => language switch
    {
        FilterLanguage.AssemblyScript => "npm install && npm run asbuild",
        FilterLanguage.Rust => $"cargo build --release --target {RustToolchain.Target}",
        FilterLanguage.TinyGo => "tinygo build -scheduler=none -target=wasi",
        FilterLanguage.Cpp => "make with Emscripten and $PROXY_WASM_CPP_SDK",
        _ => throw new ArgumentOutOfRangeException(nameof(language)),
    };
}
