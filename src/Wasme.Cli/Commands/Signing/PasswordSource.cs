using Spectre.Console;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Signing;

/// <summary>The private key's password: <c>COSIGN_PASSWORD</c> (empty allowed, as cosign does), else a prompt on a terminal.</summary>
internal static class PasswordSource
{
    public const string EnvironmentVariable = "COSIGN_PASSWORD";

    public static string Read(CliContext context, bool confirm)
    {
        if (context.GetEnvironmentVariable(EnvironmentVariable) is { } password)
        {
            return password;
        }

        if (!context.IsInteractive)
        {
            throw CommandException.Usage($"No password for the private key: set {EnvironmentVariable} (it may be empty), or run on a terminal to be asked.");
        }

        var first = context.Out.Prompt(new TextPrompt<string>("Enter password for private key:").Secret().AllowEmpty());
        if (confirm)
        {
            var again = context.Out.Prompt(new TextPrompt<string>("Enter password for private key again:").Secret().AllowEmpty());
            if (first != again)
            {
                throw CommandException.Usage("The passwords do not match; nothing written.");
            }
        }

        return first;
    }
}
