using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Signing.Keys;

namespace Wasme.Cli.Commands.Signing;

/// <summary><c>wasme generate-key-pair</c>: an ECDSA P-256 key pair in cosign's PEM forms (cosign.key encrypted, cosign.pub).</summary>
internal sealed class GenerateKeyPairCommand : WasmeCommand
{
    private readonly Option<string> _prefix = new("--output-key-prefix") { Description = "Path prefix of the two files.", DefaultValueFactory = _ => "cosign" };
    private readonly Option<bool> _force = new("--force") { Description = "Replace existing key files." };

    public GenerateKeyPairCommand(CliContext context)
        : base(context, "generate-key-pair", $"Generate a signing key pair as cosign does: PREFIX.key (encrypted with {PasswordSource.EnvironmentVariable} or a prompted password) and PREFIX.pub.")
    {
        Options.Add(_prefix);
        Options.Add(_force);
        Example("Write cosign.key and cosign.pub, asking for the password", "wasme generate-key-pair");
        Example("Write release.key and release.pub in a script (empty password allowed)", "COSIGN_PASSWORD=\"$SECRET\" wasme generate-key-pair --output-key-prefix release");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var keyPath = parseResult.GetValue(_prefix) + ".key";
        var publicPath = parseResult.GetValue(_prefix) + ".pub";
        if (!parseResult.GetValue(_force) && (File.Exists(keyPath) || File.Exists(publicPath)))
        {
            throw CommandException.Usage($"{(File.Exists(keyPath) ? keyPath : publicPath)} exists; nothing written. Move it away, choose another --output-key-prefix, or pass --force.");
        }

        var password = PasswordSource.Read(Context, confirm: true);
        var (privatePem, publicPem) = CosignKeys.Generate(password);
        // Both files or neither: each is written beside its target and moved into place. Each ends with a
        // newline, as cosign's do, so 'cat old.pub new.pub' still holds well-formed PEM blocks.
        await WriteAsync(keyPath, privatePem + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite, cancellationToken);
        await WriteAsync(publicPath, publicPem + "\n", null, cancellationToken);
        Context.Out.WriteLine($"Private key written to {keyPath}", Style.Plain);
        Context.Out.WriteLine($"Public key written to {publicPath}", Style.Plain);
        return ExitCodes.Success;
    }

    private static async Task WriteAsync(string path, string content, UnixFileMode? mode, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            throw CommandException.Usage($"Cannot write {path}: directory {directory} does not exist.");
        }

        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (mode is { } unixMode && !OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = unixMode;
            }

            await using (var stream = new FileStream(temp, options))
            await using (var writer = new StreamWriter(stream))
            {
                await writer.WriteAsync(content.AsMemory(), cancellationToken);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
