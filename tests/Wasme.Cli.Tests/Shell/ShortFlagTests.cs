using System.Text.RegularExpressions;
using Wasme.Cli.Tests.Istio;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Shell;

/// <summary>One meaning per short flag across every command, and docs/cli.md's table says which.</summary>
public sealed partial class ShortFlagTests
{
    [Fact]
    public void Each_short_flag_means_one_long_option_in_every_command()
    {
        var meanings = ShortFlags();

        var ambiguous = meanings.Where(m => m.Value.Count > 1).Select(m => $"{m.Key}: {string.Join(", ", m.Value)}").ToList();

        Assert.Empty(ambiguous);
    }

    [Fact]
    public void The_short_flag_table_in_docs_cli_md_is_the_command_trees()
    {
        var documented = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (Match row in TableRow().Matches(File.ReadAllText(Path.Combine(IstioCli.Root, "docs", "cli.md"))))
        {
            documented[row.Groups["short"].Value] = row.Groups["long"].Value;
        }

        var actual = new SortedDictionary<string, string>(ShortFlags().ToDictionary(m => m.Key, m => m.Value.Single()), StringComparer.Ordinal);

        Assert.Equal(actual, documented);
    }

    private static Dictionary<string, SortedSet<string>> ShortFlags()
    {
        var meanings = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (_, command) in CommandTree.All())
        {
            foreach (var option in CommandTree.OptionsOf(command))
            {
                // -h and -? are System.CommandLine's own aliases of --help.
                foreach (var alias in option.Aliases.Where(a => a.Length == 2 && a[0] == '-' && a != "-h" && a != "-?"))
                {
                    meanings.TryAdd(alias, new SortedSet<string>(StringComparer.Ordinal));
                    meanings[alias].Add(option.Name);
                }
            }
        }

        return meanings;
    }

    // | `-o` | `--output` | ... |
    [GeneratedRegex(@"^\| `(?<short>-[A-Za-z?])` \| `(?<long>--[a-z-]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
