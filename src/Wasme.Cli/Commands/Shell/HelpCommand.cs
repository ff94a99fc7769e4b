using System.CommandLine;
using Spectre.Console;

namespace Wasme.Cli.Commands.Shell;

/// <summary><c>wasme help [COMMAND...]</c>: the help of a command, as <c>wasme COMMAND --help</c> prints it.</summary>
internal sealed class HelpCommand : Command
{
    public HelpCommand(CliContext context)
        : base("help", "Show the help of a command, e.g. 'wasme help pull'.")
    {
        var path = new Argument<string[]>("command") { Description = "The command (and subcommands) to describe.", Arity = ArgumentArity.ZeroOrMore };
        Arguments.Add(path);
        SetAction(parseResult =>
        {
            Command target = parseResult.RootCommandResult.Command;
            var names = new List<string> { "wasme" };
            foreach (var name in parseResult.GetValue(path) ?? [])
            {
                if (CommandTypos.Find(target, name) is not { } next)
                {
                    context.Error.MarkupLineInterpolated($"[red]error:[/] {CommandTypos.Describe(target, string.Join(' ', names), name)}");
                    context.Error.MarkupLineInterpolated($"Run '[bold]{string.Join(' ', names)} --help[/]' for usage.");
                    return ExitCodes.UsageError;
                }

                target = next;
                names.Add(name);
            }

            var help = parseResult.RootCommandResult.Command.Parse([.. names.Skip(1), "--help"]);
            return help.Invoke(parseResult.InvocationConfiguration);
        });
    }
}
