using System.CommandLine;
using Spectre.Console;

namespace Wasme.Cli;

/// <summary>Composition root of the <c>wasme</c> command: builds the command tree and runs it.</summary>
public static class WasmeApplication
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var context = CliContext.CreateDefault();
        var root = WasmeRootCommand.Create(context);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            // System.CommandLine would exit 1; a bad command line is a usage error (2), as documented.
            foreach (var error in parseResult.Errors)
            {
                context.Error.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            }

            context.Error.MarkupLineInterpolated($"Run '[bold]{CommandPath(parseResult.CommandResult.Command, root)} --help[/]' for usage.");
            return ExitCodes.UsageError;
        }

        // Signals are the caller's (Program) to turn into cancellation, and exceptions ours to report:
        // System.CommandLine's own handlers would end a cancelled command with exit code 1 and no word.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Error.MarkupLine("[yellow]cancelled[/]");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            // A bug, not bad input (that has its own messages): say so, with what a report needs.
            context.Error.MarkupLineInterpolated($"[red]error:[/] unexpected failure, please report it as a bug: {ex}");
            return ExitCodes.Failure;
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
