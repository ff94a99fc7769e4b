using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using Spectre.Console;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands;

/// <summary><c>wasme version</c>: what <c>--version</c> prints, plus the runtime and platform, as text or data (bug reports, scripts).</summary>
internal sealed class VersionCommand : WasmeCommand
{
    private readonly EnumOption<OutputFormat> _output;

    public VersionCommand(CliContext context)
        : base(context, "version", "Print wasme's version, the .NET runtime and the platform it runs on.")
    {
        _output = AddOutputOption();
        Example("Show the version for a bug report", "wasme version");
        Example("Read the version from a script", "wasme version -o json | jq -r .version");
    }

    public static VersionInfo Current { get; } = new(
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
#if WASME_IMAGES_EDITION
        "images",
#else
        "full",
#endif
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.RuntimeIdentifier);

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var format = _output.ValueOf(parseResult);
        if (format.IsData())
        {
            DataOutput.Write(Context, format, Current, VersionJsonContext.Default.VersionInfo);
            return Task.FromResult(ExitCodes.Success);
        }

        Context.Out.WriteLine($"wasme {Current.Version} ({Current.Edition} edition)", Style.Plain);
        Context.Out.WriteLine($"{Current.Runtime} on {Current.Platform}", Style.Plain);
        return Task.FromResult(ExitCodes.Success);
    }
}

/// <summary><c>wasme version -o json</c>.</summary>
internal sealed record VersionInfo(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("edition")] string Edition,
    [property: JsonPropertyName("runtime")] string Runtime,
    [property: JsonPropertyName("platform")] string Platform);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(VersionInfo))]
internal sealed partial class VersionJsonContext : JsonSerializerContext;
