using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

namespace Wasme.Oci.References;

/// <summary>
/// SHA-256 of content digests. Documents (manifests, indexes, configs; at most
/// <see cref="ManagedLimit"/> bytes) are hashed by BouncyCastle's managed SHA-256; larger content by
/// the platform's (OpenSSL on Linux, with the CPU's SHA instructions). Loading and configuring OpenSSL
/// takes about 3.5 ms at the first hash of a process (profile of a 1 MiB push: nearly all of its wait
/// before the first request), while a document hashes in microseconds without it: a push of a stored
/// image, which hashes only documents, now never loads OpenSSL.
/// </summary>
internal sealed class Sha256 : IDisposable
{
    /// <summary>Content up to this size is hashed in managed code.</summary>
    internal const int ManagedLimit = 16 * 1024;

    private readonly Sha256Digest? _managed;
    private readonly IncrementalHash? _platform;

    private Sha256(long expectedLength)
    {
        if (expectedLength <= ManagedLimit)
        {
            _managed = new Sha256Digest();
        }
        else
        {
            _platform = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    /// <summary>An incremental hash for content expected to be <paramref name="expectedLength"/> bytes (the choice of implementation only).</summary>
    public static Sha256 ForLength(long expectedLength) => new(expectedLength);

    public static Digest Compute(ReadOnlySpan<byte> content)
    {
        if (content.Length > ManagedLimit)
        {
            return Digest.FromHash(SHA256.HashData(content));
        }

        var digest = new Sha256Digest();
        digest.BlockUpdate(content);
        Span<byte> hash = stackalloc byte[32];
        digest.DoFinal(hash);
        return Digest.FromHash(hash);
    }

    /// <summary>Loads and configures the platform's SHA-256 (milliseconds: see the class summary).</summary>
    public static void LoadPlatform() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_managed is not null)
        {
            _managed.BlockUpdate(data);
        }
        else
        {
            _platform!.AppendData(data);
        }
    }

    public Digest Finish()
    {
        if (_managed is null)
        {
            return Digest.FromHash(_platform!.GetHashAndReset());
        }

        Span<byte> hash = stackalloc byte[32];
        _managed.DoFinal(hash);
        return Digest.FromHash(hash);
    }

    public void Dispose() => _platform?.Dispose();
}
