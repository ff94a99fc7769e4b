using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// wasme's help: System.CommandLine's sections, then the command's examples (as kubectl's "Examples:"), with enum
/// a width that does not depend on the terminal the tests run in.
/// </summary>
internal static class WasmeHelp
{
    /// <summary>Widest help wraps to; narrower terminals wrap to their width.</summary>
    public const int MaxWidth = 120;

    public static void Install(RootCommand root, CliContext context)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new ExamplesHelpAction(new HelpAction { MaxWidth = Math.Clamp(context.Out.Profile.Width, 40, MaxWidth) });
    }

    /// <summary>The library's help, then the examples of the command it described.</summary>
    private sealed class ExamplesHelpAction(HelpAction help) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = help.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.CommandResult.Command is IDocumentedCommand { Details: { } details })
            {
                output.WriteLine($"{details.Title}:");
                foreach (var line in details.Text.ReplaceLineEndings("\n").Split('\n'))
                {
                    output.WriteLine(line.Length == 0 ? "" : "  " + line);
                }

                output.WriteLine();
            }

            if (parseResult.CommandResult.Command is IDocumentedCommand { Examples.Count: > 0 } documented)
            {
                output.WriteLine("Examples:");
                foreach (var example in documented.Examples)
                {
                    output.WriteLine($"  # {example.What}");
                    output.WriteLine($"  {example.CommandLine}");
                    output.WriteLine();
                }
            }

            return code;
        }
    }
}
