using Spectre.Console;
using Wasme.Istio.Validation;

namespace Wasme.Cli.Commands.Istio;

internal static class ProblemReport
{
    /// <summary>Prints every problem, one per line: where, what was there, why, and the fix.</summary>
    public static void Write(IAnsiConsole error, string subject, IReadOnlyList<ValidationProblem> problems)
    {
        error.MarkupLineInterpolated($"[red]error:[/] {subject}: {problems.Count} problem(s)");
        foreach (var problem in problems)
        {
            var value = problem.Value is null ? string.Empty : $" (got '{problem.Value}')";
            error.MarkupLineInterpolated($"  [bold]{problem.Path}[/]: {problem.Reason}{value}");
            error.MarkupLineInterpolated($"    fix: {problem.Fix}");
        }
    }

    public static void Warnings(IAnsiConsole error, IEnumerable<string> warnings)
    {
        foreach (var warning in warnings)
        {
            error.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        }
    }

    /// <summary>Writes text unchanged (no markup, no wrapping): YAML must reach the pipe byte for byte.</summary>
    public static void Raw(IAnsiConsole console, string text)
    {
        console.Profile.Out.Writer.Write(text);
        console.Profile.Out.Writer.Flush();
    }
}
