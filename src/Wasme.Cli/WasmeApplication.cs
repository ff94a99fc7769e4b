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
}
