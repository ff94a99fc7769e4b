using System.CommandLine;
using Spectre.Console.Testing;

namespace Wasme.Cli.Tests.Support;

/// <summary>The real command tree, walked: every visible command by its path (what a user types after <c>wasme</c>).</summary>
internal static class CommandTree
{
    public static Command Root() => WasmeRootCommand.Create(new CliContext
    {
        Out = new TestConsole(),
        Error = new TestConsole(),
        GetEnvironmentVariable = _ => null,
        TimeProvider = TimeProvider.System,
        IsInteractive = false,
    });

    public static IEnumerable<(string Path, Command Command)> All()
    {
        var pending = new Stack<(string Path, Command Command)>([(string.Empty, Root())]);
        while (pending.TryPop(out var current))
        {
            yield return current;
            foreach (var sub in current.Command.Subcommands.Where(c => !c.Hidden))
            {
                pending.Push(((current.Path + " " + sub.Name).Trim(), sub));
            }
        }
    }

    /// <summary>Every visible option of a command, its own and the ones it inherits (--help, --verbose, --debug).</summary>
    public static IEnumerable<Option> OptionsOf(Command command)
    {
        var inherited = command.Parents.OfType<Command>().SelectMany(p => OptionsOf(p).Where(o => o.Recursive));
        return command.Options.Concat(inherited).Where(o => !o.Hidden).Distinct();
    }
}
