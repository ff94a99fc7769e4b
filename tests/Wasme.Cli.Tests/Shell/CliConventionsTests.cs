using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Shell;

/// <summary>What users expect from docker, kubectl and helm: completion scripts, typo hints, help without flags.</summary>
public sealed class CliConventionsTests
{
    [Theory]
    [InlineData("bash", "complete -o default -F _wasme_complete wasme")]
    [InlineData("zsh", "compdef _wasme wasme")]
    [InlineData("fish", "complete -c wasme")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName wasme")]
    public async Task Completion_prints_a_script_for_the_shell_that_asks_wasme_for_suggestions(string shell, string registration)
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunProgramAsync("completion", shell));

        Assert.Contains(registration, cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("wasme \"[suggest:", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completion_of_an_unknown_shell_is_a_usage_error_listing_the_shells()
    {
        var cli = new CliRunner();

        Assert.Equal(2, await cli.RunProgramAsync("completion", "tcsh"));

        Assert.Contains("bash", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("pwsh", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_suggest_directive_the_scripts_call_completes_subcommands()
    {
        var cli = new CliRunner();

        // What the bash script runs for "wasme pu<TAB>": the cursor is at the end of the line.
        Assert.Equal(0, await cli.RunProgramAsync("[suggest:8]", "wasme pu"));

        var suggestions = cli.Out.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["pull", "push"], suggestions);
    }

    [Fact]
    public async Task The_suggest_directive_completes_options_of_a_subcommand()
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunProgramAsync("[suggest:13]", "wasme pull --"));

        Assert.Contains("--help", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_command_names_the_command_meant()
    {
        var cli = new CliRunner();

        Assert.Equal(2, await cli.RunProgramAsync("pulll", "x"));

        Assert.Contains("'pulll' is not a wasme command. Did you mean 'pull'?", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unrecognized", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_subcommand_names_its_parent_and_the_subcommand_meant()
    {
        var cli = new CliRunner();

        Assert.Equal(2, await cli.RunProgramAsync("build", "precompield", "filter.wasm"));

        Assert.Contains("'precompield' is not a wasme build command. Did you mean 'precompiled'?", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_word_close_to_no_command_gets_no_guess()
    {
        var cli = new CliRunner();

        Assert.Equal(2, await cli.RunProgramAsync("frobnicate"));

        Assert.Contains("'frobnicate' is not a wasme command.", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Did you mean", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bare_wasme_shows_the_help()
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunProgramAsync());

        Assert.Contains("Usage:", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("pull", cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Error.Output);
    }

    [Fact]
    public async Task Help_of_a_command_is_what_its_help_option_prints()
    {
        var cli = new CliRunner();
        Assert.Equal(0, await cli.RunProgramAsync("pull", "--help"));
        var expected = cli.Out.Output;

        Assert.Equal(0, await cli.RunProgramAsync("help", "pull"));

        Assert.Equal(expected, cli.Out.Output);
        Assert.Contains("pull", expected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_of_a_mistyped_command_is_a_usage_error_with_the_guess()
    {
        var cli = new CliRunner();

        Assert.Equal(2, await cli.RunProgramAsync("help", "pulll"));

        Assert.Contains("'pulll' is not a wasme command. Did you mean 'pull'?", cli.Error.Output, StringComparison.Ordinal);
    }
}
