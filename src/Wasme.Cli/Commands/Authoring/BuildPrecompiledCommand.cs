using System.CommandLine;
using Wasme.Oci.References;

namespace Wasme.Cli.Commands.Authoring;

/// <summary><c>wasme build precompiled FILE.wasm -t REF --config runtime-config.json</c>: import a module built elsewhere.</summary>
internal sealed class BuildPrecompiledCommand : Command
{
    public BuildPrecompiledCommand(CliContext context)
        : base("precompiled", "Validate a ready-made .wasm module and store it as an image.")
    {
        var file = new Argument<string>("FILE") { Description = "The .wasm module." };
        var config = new Option<string>("--config", "-c")
        {
            Description = "Runtime config: {\"type\":\"envoy_proxy\",\"abiVersions\":[...],\"config\":{\"rootIds\":[...]}}.",
            Required = true,
        };
        var options = new BuildOptions();
        Arguments.Add(file);
        Options.Add(config);
        options.AddTo(this);

        SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                var reference = ImageReference.Parse(parseResult.GetValue(options.Tag)!);
                var builder = BuildSourceCommand.CreateBuilder(context, parseResult.GetValue(options.Store));
                var result = await builder.ImportPrecompiledAsync(
                    Path.GetFullPath(parseResult.GetValue(file)!),
                    Path.GetFullPath(parseResult.GetValue(config)!),
                    reference,
                    cancellationToken);
                BuildReport.Write(context, result);
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return AuthoringErrors.Report(context, ex);
            }
        });
    }
}
