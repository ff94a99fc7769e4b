using System.CommandLine;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Shell;

/// <summary><c>wasme completion SHELL</c>: prints a script that makes the shell complete wasme's commands and options.</summary>
internal sealed class CompletionCommand : WasmeCommand
{
    private readonly Argument<string> _shell = new("shell") { Description = "The shell: bash, zsh, fish or pwsh." };

    public CompletionCommand(CliContext context)
        : base(context, "completion", "Print a shell completion script: bash, zsh, fish or pwsh (e.g. source <(wasme completion bash)).")
    {
        _shell.AcceptOnlyFromAmong([.. CompletionScripts.ByShell.Keys]);
        Arguments.Add(_shell);
        Example("Complete wasme in this bash session", "source <(wasme completion bash)");
        Example("Complete wasme in every fish session", "wasme completion fish > ~/.config/fish/completions/wasme.fish");
    }

    protected override Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        // Plain text, not markup: scripts are full of brackets Spectre would read as styles.
        Context.Out.Profile.Out.Writer.Write(CompletionScripts.ByShell[parseResult.GetRequiredValue(_shell)]);
        return Task.FromResult(ExitCodes.Success);
    }
}
