using System.CommandLine;

namespace Wasme.Cli.Commands.Shell;

/// <summary>
/// Names the unknown subcommand a user typed and the nearest real one ("Did you mean 'pull'?"), as
/// git, docker and kubectl do. System.CommandLine's own typo hints go to its default error action,
/// which wasme replaces to exit 2 with its own messages.
/// </summary>
internal static class CommandTypos
{
    /// <summary>The unknown subcommand in a failed parse, or null when the errors are of another kind.</summary>
    public static string? FindUnknownSubcommand(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        if (command.Subcommands.Count == 0 || command.Arguments.Count > 0)
        {
            return null;
        }

        var unmatched = parseResult.UnmatchedTokens;
        return unmatched.Count == 0 || unmatched[0].StartsWith('-') ? null : unmatched[0];
    }

    /// <summary>One line: what is wrong and, when a subcommand is close enough, which one was meant.</summary>
    public static string Describe(Command parent, string commandPath, string typed)
    {
        var message = $"'{typed}' is not a {commandPath} command.";
        var nearest = Nearest(parent, typed);
        return nearest is null ? message : $"{message} Did you mean '{nearest}'?";
    }

    /// <summary>The visible subcommand of <paramref name="parent"/> named <paramref name="name"/> (or one of its aliases).</summary>
    public static Command? Find(Command parent, string name) =>
        parent.Subcommands.FirstOrDefault(c => !c.Hidden && (c.Name == name || c.Aliases.Contains(name)));

    private static string? Nearest(Command parent, string typed)
    {
        // A third of the word may be wrong (at least one edit): 'pulll' finds 'pull', 'xyz' finds nothing.
        var allowed = Math.Max(1, typed.Length / 3);
        return parent.Subcommands
            .Where(c => !c.Hidden)
            .Select(c => (c.Name, Distance: Distance(typed, c.Name)))
            .Where(c => c.Distance <= allowed)
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    // Levenshtein distance over two rows.
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
