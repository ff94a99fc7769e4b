using System.CommandLine;
using System.Text;
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
        // An empty prefix wrote the hidden files .key and .pub in the current directory.
        _ = PathArguments.Full(parseResult.GetValue(_prefix), "--output-key-prefix", "cosign");
        var keyPath = parseResult.GetValue(_prefix) + ".key";
        var publicPath = parseResult.GetValue(_prefix) + ".pub";
        if (!parseResult.GetValue(_force) && (File.Exists(keyPath) || File.Exists(publicPath)))
        {
            throw CommandException.Usage(File.Exists(keyPath) && !File.Exists(publicPath)
                ? $"{keyPath} exists without {publicPath} (a run stopped between writing them?); nothing written. Pass --force to write a new pair, or choose another --output-key-prefix."
                : $"{(File.Exists(keyPath) ? keyPath : publicPath)} exists; nothing written. Move it away, choose another --output-key-prefix, or pass --force.");
        }

        var password = PasswordSource.Read(Context, confirm: true);
        var (privatePem, publicPem) = CosignKeys.Generate(password);
        await WritePairAsync(keyPath, privatePem, publicPath, publicPem, cancellationToken);
        Context.Out.WriteLine($"Private key written to {keyPath}", Style.Plain);
        Context.Out.WriteLine($"Public key written to {publicPath}", Style.Plain);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Both files are written and flushed beside their targets before either is replaced. Two renames cannot be one
    /// step, so the old public key goes first: a run killed between the renames leaves a key without its public key
    /// (the next run says so), never a new key beside the old public key, where every signature made with one fails
    /// verification with the other.
    /// </summary>
    private static async Task WritePairAsync(string keyPath, string privatePem, string publicPath, string publicPem, CancellationToken cancellationToken)
    {
        foreach (var path in (string[])[keyPath, publicPath])
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!Directory.Exists(directory))
            {
                throw CommandException.Usage($"Cannot write {path}: directory {directory} does not exist.");
            }

            if (Directory.Exists(path))
            {
                throw CommandException.Usage($"Cannot write {path}: it is a directory. Nothing was written; choose another --output-key-prefix.");
            }
        }

        var keyTarget = OutputFiles.Target(keyPath);
        var publicTarget = OutputFiles.Target(publicPath);
        // Each ends with a newline, as cosign's do, so 'cat old.pub new.pub' still holds well-formed PEM blocks.
        var stagedKey = await OutputFiles.StageAsync(keyTarget, Encoding.UTF8.GetBytes(privatePem + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite, cancellationToken);
        try
        {
            var stagedPublic = await OutputFiles.StageAsync(publicTarget, Encoding.UTF8.GetBytes(publicPem + "\n"), null, cancellationToken);
            try
            {
                OutputFiles.Delete(publicTarget);
                OutputFiles.Commit(stagedKey, keyTarget);
                OutputFiles.Commit(stagedPublic, publicTarget);
            }
            finally
            {
                OutputFiles.Discard(stagedPublic);
            }
        }
        finally
        {
            OutputFiles.Discard(stagedKey);
        }
    }
}
