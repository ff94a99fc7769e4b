using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Signing;

/// <summary>Reads a key given as a file path or, as cosign takes it, <c>env://VAR</c>.</summary>
internal static class KeySource
{
    private const string EnvironmentPrefix = "env://";

    /// <summary>The PEM text and a name for messages; usage errors name the missing file or variable and the fix.</summary>
    public static async Task<(string Pem, string Source)> ReadAsync(CliContext context, string value, string option, CancellationToken cancellationToken)
    {
        if (value.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
        {
            var name = value[EnvironmentPrefix.Length..];
            var pem = name.Length == 0 ? null : context.GetEnvironmentVariable(name);
            return string.IsNullOrWhiteSpace(pem)
                ? throw CommandException.Usage($"{option} {value}: environment variable '{name}' is not set or empty; set it to the PEM text of the key.")
                : (pem, $"environment variable {name}");
        }

        return (await SigningFiles.ReadTextAsync(value, option, SigningFiles.MaxKeySize, "the path of a key made by 'wasme generate-key-pair' (or cosign), or env://VAR", cancellationToken), value);
    }
}
