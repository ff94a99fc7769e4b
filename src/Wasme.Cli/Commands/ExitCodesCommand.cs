using System.CommandLine;
using Spectre.Console;

namespace Wasme.Cli.Commands;

/// <summary><c>wasme exit-codes</c>: prints what each exit code means, for scripts.</summary>
internal sealed class ExitCodesCommand : Command
{
    public ExitCodesCommand(CliContext context)
        : base("exit-codes", "Print the exit codes wasme uses and what each means.")
    {
        SetAction(_ =>
        {
            var table = new Table().AddColumns("CODE", "NAME", "MEANING");
            table.Border = TableBorder.Simple;
            foreach (var (code, name, meaning) in ExitCodes.All)
            {
                table.AddRow(code.ToString(System.Globalization.CultureInfo.InvariantCulture), name, Markup.Escape(meaning));
            }

            context.Out.Write(table);
            return ExitCodes.Success;
        });
    }
}
