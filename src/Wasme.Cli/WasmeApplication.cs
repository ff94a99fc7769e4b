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

        try
        {
            return await parseResult.InvokeAsync(new InvocationConfiguration(), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            context.Error.MarkupLine("[yellow]cancelled[/]");
            return ExitCodes.Cancelled;
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
