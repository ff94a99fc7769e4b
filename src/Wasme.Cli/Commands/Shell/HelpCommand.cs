using System.CommandLine;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Shell;

/// <summary><c>wasme help [COMMAND...]</c>: the help of a command, as <c>wasme COMMAND --help</c> prints it.</summary>
internal sealed class HelpCommand : WasmeCommand
{
    private readonly Argument<string[]> _path = new("command") { Description = "The command (and subcommands) to describe.", Arity = ArgumentArity.ZeroOrMore };

    public HelpCommand(CliContext context)
        : base(context, "help", "Show the help of a command, e.g. 'wasme help pull'.")
    {
        Arguments.Add(_path);
        Example("Show the help of a subcommand", "wasme help deploy istio");
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Command target = parseResult.RootCommandResult.Command;
        var names = new List<string> { "wasme" };
        foreach (var name in parseResult.GetValue(_path) ?? [])
        {
            if (CommandTypos.Find(target, name) is not { } next)
            {
                throw CommandException.Usage(CommandTypos.Describe(target, string.Join(' ', names), name), $"Run '{string.Join(' ', names)} --help' for usage.");
            }

            target = next;
            names.Add(name);
        }

        var help = parseResult.RootCommandResult.Command.Parse([.. names.Skip(1), "--help"]);
        return Task.FromResult(help.Invoke(parseResult.InvocationConfiguration));
    }
}
