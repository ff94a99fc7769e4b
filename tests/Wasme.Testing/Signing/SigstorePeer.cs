using System.Security.Cryptography;
using Wasme.Testing.Registry;

namespace Wasme.Testing.Signing;

/// <summary>
/// The Sigstore JavaScript client, for signing tests (<c>@sigstore/sign</c>, <c>@sigstore/verify</c>, <c>@sigstore/mock</c>),
/// pinned in <c>peers/package-lock.json</c> and driven through <c>peers/peer.mjs</c>.
/// </summary>
public static class SigstorePeer
{
    public static string Directory { get; } = FindPeers();

    /// <summary>Runs a peer.mjs sub-command; throws with its stderr when it fails.</summary>
    public static async Task RunAsync(params string[] arguments)
    {
        var (code, _, error) = await ExternalTool.RunAsync("node", [Path.Combine(Directory, "peer.mjs"), .. arguments], Directory);
        if (code != 0)
        {
            throw new InvalidOperationException($"sigstore-js peer {arguments[0]} failed ({code}): {error}");
        }
    }

    /// <summary>As <see cref="RunAsync"/>, but returns whether the peer accepted (exit 0) and its stderr.</summary>
    public static async Task<(bool Ok, string Error)> TryAsync(params string[] arguments)
    {
        var (code, _, error) = await ExternalTool.RunAsync("node", [Path.Combine(Directory, "peer.mjs"), .. arguments], Directory);
        return (code == 0, error);
    }

    /// <summary>An unencrypted PKCS#8 PEM of <paramref name="key"/>, which node reads (it cannot open cosign's encrypted form).</summary>
    public static string WritePkcs8(ECDsa key, string directory)
    {
        var path = Path.Combine(directory, "peer-key.pem");
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    }

    private static string FindPeers()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Wasme.slnx")))
        {
            directory = directory.Parent;
        }

        var peers = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("Wasme.slnx not found above the test binaries."), "tests", "Wasme.Signing.Tests", "peers");
        return System.IO.Directory.Exists(Path.Combine(peers, "node_modules", "@sigstore", "sign"))
            ? peers
            : throw new InvalidOperationException($"The Sigstore peers are not installed in {peers}: run 'bash eng/install-prerequisites.sh' (npm ci there).");
    }
}
