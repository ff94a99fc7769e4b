using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Wasme.Signing.Transparency;

/// <summary>
/// A Merkle inclusion proof of a Rekor entry (RFC 9162 hashing) and the checkpoint (a signed note)
/// that commits the log to the proof's root hash and tree size.
/// </summary>
public sealed record RekorInclusionProof(long LogIndex, long TreeSize, byte[] RootHash, IReadOnlyList<byte[]> Hashes, string? Checkpoint)
{
    /// <summary>Null when the entry body is in the tree the checkpoint signs; otherwise why not.</summary>
    /// <remarks>
    /// The proof's <see cref="LogIndex"/> is not compared with the entry's: Rekor numbers an entry across all its shards
    /// (the SET covers that index) and proves it in the current shard's tree, by its index there, so the two differ for
    /// every entry after the first shard (sigstore-js and sigstore-go compare neither).
    /// </remarks>
    internal string? Check(byte[] canonicalizedBody, ECDsa logKey, byte[] logId, string? baseUrl)
    {
        if (LogIndex < 0 || LogIndex >= TreeSize)
        {
            return $"its inclusion proof names index {LogIndex} in a tree of {TreeSize}";
        }

        if (!RootFromPath(canonicalizedBody).AsSpan().SequenceEqual(RootHash))
        {
            return "its inclusion proof does not lead from the entry to the root hash: the entry is not in the log the proof describes";
        }

        return Checkpoint is null ? null : CheckCheckpoint(logKey, logId, baseUrl);
    }

    // RFC 9162 section 2.1.3.2.
    private byte[] RootFromPath(byte[] body)
    {
        var hash = SHA256.HashData([0x00, .. body]);
        var (fn, sn) = (LogIndex, TreeSize - 1);
        foreach (var sibling in Hashes)
        {
            if (sn == 0)
            {
                return [];
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                hash = SHA256.HashData([0x01, .. sibling, .. hash]);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                hash = SHA256.HashData([0x01, .. hash, .. sibling]);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 ? hash : [];
    }

    // A checkpoint is a signed note: "origin\nsize\nbase64(root)\n[other lines\n]" then a blank line and
    // "— name base64(4-byte key hint || signature)" lines; the signature covers the text before the blank line.
    // As sigstore-js: a signature line counts when its key hint is the log's (the first 4 bytes of its key id) and its
    // name is part of the log's URL; here the signed origin line must name the log too, so a checkpoint of another log
    // that shares the key (a test instance, another deployment) is not taken for this one's.
    private string? CheckCheckpoint(ECDsa logKey, byte[] logId, string? baseUrl)
    {
        var separator = Checkpoint!.IndexOf("\n\n", StringComparison.Ordinal);
        if (separator < 0)
        {
            return "its checkpoint is not a signed note";
        }

        var text = Checkpoint[..(separator + 1)];
        var lines = text.Split('\n');
        if (lines.Length < 4
            || lines[1] != TreeSize.ToString(CultureInfo.InvariantCulture)
            || lines[2] != Convert.ToBase64String(RootHash))
        {
            return "its checkpoint commits to another tree size or root hash than the inclusion proof";
        }

        var origin = lines[0].Split(" - ", 2)[0];
        if (baseUrl is not null && (origin.Length == 0 || !baseUrl.Contains(origin, StringComparison.Ordinal)))
        {
            return $"its checkpoint is of log '{lines[0]}', not of {baseUrl}, the trusted root's log with this key";
        }

        var signed = Encoding.UTF8.GetBytes(text);
        foreach (var line in Checkpoint[(separator + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.LastIndexOf(' ');
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal) || space < 2)
            {
                continue;
            }

            var name = line[2..space];
            if (baseUrl is not null && (name.Length == 0 || !baseUrl.Contains(name, StringComparison.Ordinal)))
            {
                continue;
            }

            try
            {
                var hintAndSignature = Convert.FromBase64String(line[(space + 1)..]);
                if (hintAndSignature.Length > 4
                    && logId.Length >= 4 && hintAndSignature.AsSpan(0, 4).SequenceEqual(logId.AsSpan(0, 4))
                    && Verification.SignatureCheck.VerifyEcdsa(logKey, signed, hintAndSignature[4..]))
                {
                    return null;
                }
            }
            catch (FormatException)
            {
                // Not ours to read; another signature line may be.
            }
        }

        return "its checkpoint has no signature by the log's key (a line '\u2014 NAME BASE64' whose name is the log's and whose key hint is its key id)";
    }
}
