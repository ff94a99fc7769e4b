using System.CommandLine;

namespace Wasme.Cli.Commands.Shell;

/// <summary><c>wasme completion SHELL</c>: prints a script that makes the shell complete wasme's commands and options.</summary>
internal sealed class CompletionCommand : Command
{
    public CompletionCommand(CliContext context)
        : base("completion", "Print a shell completion script: bash, zsh, fish or pwsh (e.g. source <(wasme completion bash)).")
    {
        var shell = new Argument<string>("shell") { Description = "The shell: bash, zsh, fish or pwsh." };
        shell.AcceptOnlyFromAmong([.. CompletionScripts.ByShell.Keys]);
        Arguments.Add(shell);
        SetAction(parseResult =>
        {
            // Plain text, not markup: scripts are full of brackets Spectre would read as styles.
            context.Out.Profile.Out.Writer.Write(CompletionScripts.ByShell[parseResult.GetRequiredValue(shell)]);
            return ExitCodes.Success;
        });
    }
}
