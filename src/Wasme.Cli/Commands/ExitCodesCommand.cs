using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Spectre.Console;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands;

/// <summary><c>wasme exit-codes</c>: prints what each exit code means, for scripts.</summary>
internal sealed class ExitCodesCommand : WasmeCommand
{
    private readonly EnumOption<OutputFormat> _output;

    public ExitCodesCommand(CliContext context)
        : base(context, "exit-codes", "Print the exit codes wasme uses and what each means.")
    {
        _output = AddOutputOption();
        Example("Show the table", "wasme exit-codes");
        Example("Look a code up from a script", "wasme exit-codes -o json | jq -r '.[] | select(.code == 4) | .name'");
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var format = _output.ValueOf(parseResult);
        if (format.IsData())
        {
            DataOutput.Write(Context, format, [.. ExitCodes.All.Select(c => new ExitCodeInfo(c.Code, c.Name, c.Meaning))], ExitCodesJsonContext.Default.IReadOnlyListExitCodeInfo);
            return Task.FromResult(ExitCodes.Success);
        }

        var table = new Table().AddColumns("CODE", "NAME", "MEANING");
        table.Border = TableBorder.Simple;
        foreach (var (code, name, meaning) in ExitCodes.All)
        {
            table.AddRow(code.ToString(CultureInfo.InvariantCulture), name, Markup.Escape(meaning));
        }

        Context.Out.Write(table);
        return Task.FromResult(ExitCodes.Success);
    }
}

/// <summary>One entry of <c>wasme exit-codes -o json</c>.</summary>
internal sealed record ExitCodeInfo(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("meaning")] string Meaning);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<ExitCodeInfo>))]
internal sealed partial class ExitCodesJsonContext : JsonSerializerContext;
