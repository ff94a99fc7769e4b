using System.CommandLine;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme build precompiled FILE.wasm -t REF --config runtime-config.json</c>: import a module built elsewhere.</summary>
internal sealed class BuildPrecompiledCommand : WasmeCommand
{
    private readonly Argument<string> _file = new("FILE") { Description = "The .wasm module." };
    private readonly Option<string> _config = new("--config", "-c")
    {
        Description = "Runtime config: {\"type\":\"envoy_proxy\",\"abiVersions\":[...],\"config\":{\"rootIds\":[...]}}.",
        Required = true,
    };

    private readonly BuildOptions _options = new();

    public BuildPrecompiledCommand(CliContext context)
        : base(context, "precompiled", "Validate a ready-made .wasm module and store it as an image.")
    {
        Arguments.Add(_file);
        Options.Add(_config);
        _options.AddTo(this);
        Example("Store a module built by another toolchain, with the ABI and root ids it declares", "wasme build precompiled filter.wasm -t my-filter:v1 -c runtime-config.json");
        Example("Store it and keep the module sha256 for a FilterDeployment or an Envoy config", "wasme build precompiled filter.wasm -t my-filter:v1 -c runtime-config.json -o json | jq -r .moduleDigest");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(parseResult.GetValue(_options.Tag)!);
        var store = BuildSourceCommand.OpenStore(Context, parseResult.GetValue(_options.Store));
        var builder = BuildSourceCommand.CreateBuilder(Context, store);
        var result = await builder.ImportPrecompiledAsync(
            PathArguments.Full(parseResult.GetValue(_file), "FILE", "filter.wasm"),
            PathArguments.Full(parseResult.GetValue(_config), "--config", "runtime-config.json"),
            reference,
            cancellationToken);
        await BuildReport.WriteAsync(Context, _options.Output.ValueOf(parseResult), result, store, cancellationToken);
        return ExitCodes.Success;
    }
}
