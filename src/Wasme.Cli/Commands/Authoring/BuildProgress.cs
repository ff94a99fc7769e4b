using Spectre.Console;

namespace Wasme.Cli.Commands.Authoring;

/// <summary>
/// Toolchain output while a build runs: a spinner with the latest line on a terminal, every line
/// with --verbose, nothing otherwise (a failed toolchain's output tail is printed with its error).
/// </summary>
internal static class BuildProgress
{
    private const int MaxStatusWidth = 100;

    public static async Task<T> RunAsync<T>(CliContext context, bool verbose, string title, Func<Action<string>?, Task<T>> build)
    {
        if (verbose)
        {
            return await build(line => context.Error.WriteLine(line, Style.Plain));
        }

        if (!context.IsInteractive)
        {
            return await build(null);
        }

        return await context.Error.Status().StartAsync(Markup.Escape(title), async status =>
            await build(line =>
            {
                var text = line.Length > MaxStatusWidth ? line[..MaxStatusWidth] + "…" : line;
                status.Status($"{Markup.Escape(title)}: [grey]{Markup.Escape(text)}[/]");
            }));
    }
}
