using Wasme.Cli.Tests.Istio;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Shell;

/// <summary>
/// Every command's <c>--help</c> against a reviewed golden file in Shell/Help/. A change to a description, an option or
/// an example shows up here as a diff. Regenerate with <c>WASME_UPDATE_HELP=1 dotnet test --filter HelpSnapshotTests</c>
/// and review the diff before committing it.
/// </summary>
public sealed class HelpSnapshotTests
{
    public static TheoryData<string> Commands() => [.. CommandTree.All().Select(c => c.Path)];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_matches_its_reviewed_snapshot(string command)
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]));

        // Under the test host System.CommandLine names the program after the host; users see 'wasme'.
        var help = cli.Out.Output.Replace("testhost", "wasme", StringComparison.Ordinal);
        // Help pads wrapped lines; .editorconfig trims trailing spaces, so neither side keeps them.
        help = string.Join('\n', help.Split('\n').Select(line => line.TrimEnd()));
        var file = Path.Combine(IstioCli.Root, "tests", "Wasme.Cli.Tests", "Shell", "Help", $"{FileName(command)}.txt");
        if (Environment.GetEnvironmentVariable("WASME_UPDATE_HELP") == "1")
        {
            await File.WriteAllTextAsync(file, help);
        }

        Assert.True(File.Exists(file), $"no snapshot {file}; run with WASME_UPDATE_HELP=1 and review it");
        Assert.Equal((await File.ReadAllTextAsync(file)).ReplaceLineEndings("\n"), help);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_ends_with_examples_that_run_wasme(string command)
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]));

        var examples = cli.Out.Output[(cli.Out.Output.IndexOf("\nExamples:\n", StringComparison.Ordinal) + 1)..];
        Assert.StartsWith("Examples:", examples, StringComparison.Ordinal);
        var lines = examples.Split('\n').Skip(1).Where(l => l.Trim().Length > 0).ToList();
        Assert.NotEmpty(lines);
        // Each example is a '# what' line, then a command line that runs wasme (after a setup step at most).
        for (var i = 0; i < lines.Count; i += 2)
        {
            Assert.StartsWith("  # ", lines[i], StringComparison.Ordinal);
            Assert.Contains("wasme " + command, lines[i + 1], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_snapshot_belongs_to_a_command()
    {
        var expected = CommandTree.All().Select(c => $"{FileName(c.Path)}.txt").ToHashSet(StringComparer.Ordinal);
        var directory = Path.Combine(IstioCli.Root, "tests", "Wasme.Cli.Tests", "Shell", "Help");

        var stale = Directory.GetFiles(directory, "*.txt").Select(Path.GetFileName).Where(f => !expected.Contains(f!)).ToList();

        Assert.Empty(stale);
    }

    private static string FileName(string command) => command.Length == 0 ? "wasme" : "wasme-" + command.Replace(' ', '-');
}
