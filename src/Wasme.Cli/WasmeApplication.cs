using System.CommandLine;
using System.CommandLine.Invocation;
using Spectre.Console;
using Wasme.Cli.Commands.Shell;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli;

/// <summary>Composition root of the <c>wasme</c> command: builds the command tree and runs it.</summary>
public static class WasmeApplication
{
    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        RunAsync(CliContext.CreateDefault(), args, cancellationToken);

    internal static async Task<int> RunAsync(CliContext context, string[] args, CancellationToken cancellationToken)
    {
        var root = WasmeRootCommand.Create(context);
        var parseResult = root.Parse(args);
        // Directives ([suggest] for shell completion) and --help act on incomplete command lines; only a
        // line nothing can act on is a usage error.
        if (parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction)
        {
            var commandPath = CommandPath(parseResult.CommandResult.Command, root);
            if (CommandTypos.FindUnknownSubcommand(parseResult) is { } typed)
            {
                // One line that names the command meant beats "Unrecognized command or argument" for every extra token.
                context.Error.MarkupLineInterpolated($"[red]error:[/] {CommandTypos.Describe(parseResult.CommandResult.Command, commandPath, typed)}");
                context.Error.MarkupLineInterpolated($"Run '[bold]{commandPath} --help[/]' for usage.");
                return ExitCodes.UsageError;
            }

            // System.CommandLine would exit 1; a bad command line is a usage error (2), as documented.
            foreach (var error in parseResult.Errors)
            {
                context.Error.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            }

            context.Error.MarkupLineInterpolated($"Run '[bold]{commandPath} --help[/]' for usage.");
            return ExitCodes.UsageError;
        }

        // Signals are the caller's (Program) to turn into cancellation, and exceptions ours to report:
        // System.CommandLine's own handlers would end a cancelled command with exit code 1 and no word.
        // Help and [suggest] write to these writers; they are the context's so tests read what users see.
        var configuration = new InvocationConfiguration
        {
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
            Output = context.Out.Profile.Out.Writer,
            Error = context.Error.Profile.Out.Writer,
        };
        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken);
        }
        catch (Exception ex)
        {
            // Commands report their own failures (WasmeCommand); this catches what help and directives throw.
            return CommandFailures.Report(context, GlobalOptions.GetVerbosity(parseResult), ex, cancellationToken);
        }
    }

    private static string CommandPath(Command command, RootCommand root)
    {
        var names = new Stack<string>();
        for (Command? current = command; current is not null && current != root; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Push(current.Name);
        }

        names.Push("wasme");
        return string.Join(' ', names);
    }
}
