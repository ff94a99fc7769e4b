using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Generators;
using Wasme.Oci.Errors;

namespace Wasme.Signing.Keys;

/// <summary>
/// Keys in the PEM forms cosign writes and reads: the public key as <c>PUBLIC KEY</c> (SPKI), the
/// private key as <c>ENCRYPTED SIGSTORE PRIVATE KEY</c> (PKCS#8 sealed with scrypt + NaCl
/// secretbox in a JSON envelope; the legacy <c>ENCRYPTED COSIGN PRIVATE KEY</c> label is read too).
/// </summary>
public static class CosignKeys
{
    public const string PrivateKeyLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
    public const string LegacyPrivateKeyLabel = "ENCRYPTED COSIGN PRIVATE KEY";
    public const string PublicKeyLabel = "PUBLIC KEY";

    // cosign's (go-securesystemslib's) parameters: about a second of work per guess on a laptop.
    private const int ScryptN = 32768;
    private const int ScryptR = 8;
    private const int ScryptP = 1;
    private const int SaltSize = 32;

    /// <summary>A new ECDSA P-256 key pair, as <c>cosign generate-key-pair</c> makes.</summary>
    public static (string PrivateKeyPem, string PublicKeyPem) Generate(string password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (EncryptPrivateKey(key, password), ExportPublicKey(key));
    }

    public static string ExportPublicKey(ECDsa key) => PemEncoding.WriteString(PublicKeyLabel, key.ExportSubjectPublicKeyInfo());

    public static string EncryptPrivateKey(ECDsa key, string password)
    {
        ArgumentNullException.ThrowIfNull(key);
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            var salt = RandomNumberGenerator.GetBytes(SaltSize);
            var nonce = RandomNumberGenerator.GetBytes(SecretBox.NonceSize);
            var secret = DeriveKey(password, salt, ScryptN, ScryptR, ScryptP);
            var envelope = new EncryptedKeyEnvelope
            {
                Kdf = new() { Name = "scrypt", Params = new() { N = ScryptN, R = ScryptR, P = ScryptP }, Salt = salt },
                Cipher = new() { Name = "nacl/secretbox", Nonce = nonce },
                Ciphertext = SecretBox.Seal(pkcs8, nonce, secret),
            };
            return PemEncoding.WriteString(PrivateKeyLabel, JsonSerializer.SerializeToUtf8Bytes(envelope, SigningJsonContext.Default.EncryptedKeyEnvelope));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>
    /// Opens an encrypted private key. A wrong password, a damaged file or a PEM that is not a cosign
    /// private key is a usage error naming the source and the fix.
    /// </summary>
    public static ECDsa DecryptPrivateKey(string pem, string password, string source)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var block = ReadPem(pem, source, [PrivateKeyLabel, LegacyPrivateKeyLabel],
            _ => $"{source} is not a cosign private key (expected a '-----BEGIN {PrivateKeyLabel}-----' block). Make one with 'wasme generate-key-pair'.");
        EncryptedKeyEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(block, SigningJsonContext.Default.EncryptedKeyEnvelope);
        }
        catch (JsonException ex)
        {
            throw new OciUsageException($"{source} is damaged: its encrypted key is not the JSON envelope cosign writes ({ex.Message}).", ex);
        }

        if (envelope is null
            || envelope.Kdf.Name != "scrypt"
            || envelope.Cipher.Name != "nacl/secretbox"
            || envelope.Cipher.Nonce.Length != SecretBox.NonceSize
            || envelope.Kdf.Params.N is < 2 or > (1 << 20) || (envelope.Kdf.Params.N & (envelope.Kdf.Params.N - 1)) != 0
            || envelope.Kdf.Params.R is < 1 or > 32 || envelope.Kdf.Params.P is < 1 or > 16)
        {
            throw new OciUsageException($"{source} uses a key derivation or cipher wasme does not read (expected scrypt and nacl/secretbox, as cosign writes).");
        }

        var secret = DeriveKey(password, envelope.Kdf.Salt, envelope.Kdf.Params.N, envelope.Kdf.Params.R, envelope.Kdf.Params.P);
        var pkcs8 = SecretBox.Open(envelope.Ciphertext, envelope.Cipher.Nonce, secret)
            ?? throw new OciUsageException($"Cannot decrypt {source}: wrong password (from COSIGN_PASSWORD or the prompt), or the file is damaged.");
        try
        {
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return key;
        }
        catch (CryptographicException ex)
        {
            throw new OciUsageException($"{source} holds a private key wasme cannot use: only ECDSA keys are supported ({ex.Message}).", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Reads a <c>PUBLIC KEY</c> PEM (ECDSA P-256 or P-384, as cosign writes them).</summary>
    /// <summary>
    /// Each public key block of <paramref name="pem"/> as PEM text of its own: a key file may hold several, as
    /// <c>cat old.pub new.pub</c> makes one during a key rotation. The text itself when it holds none, so that
    /// <see cref="ImportPublicKey"/> names what it holds instead.
    /// </summary>
    public static IReadOnlyList<string> SplitPublicKeys(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var blocks = new List<string>();
        var offset = 0;
        while (PemEncoding.TryFind(pem.AsSpan(offset), out var fields))
        {
            var (start, length) = fields.Location.GetOffsetAndLength(pem.Length - offset);
            if (pem.AsSpan(offset)[fields.Label].SequenceEqual(PublicKeyLabel))
            {
                blocks.Add(string.Concat(pem.AsSpan(offset + start, length), "\n"));
            }

            offset += start + length;
        }

        return blocks.Count == 0 ? [pem] : blocks;
    }

    public static ECDsa ImportPublicKey(string pem, string source)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var spki = ReadPem(pem, source, [PublicKeyLabel],
            found => $"{source} is not a public key (expected a '-----BEGIN {PublicKeyLabel}-----' block, as 'wasme generate-key-pair' and cosign write"
                + (found is null ? ")." : $"; it holds a '{found}' block). {Supported}"));
        if (PublicKeyProblem(spki) is { } problem)
        {
            throw new OciUsageException($"{source} {problem}. {Supported}");
        }

        try
        {
            var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            return key;
        }
        catch (CryptographicException ex)
        {
            throw new OciUsageException($"{source} is not an ECDSA public key wasme can use ({ex.Message}). {Supported}", ex);
        }
    }

    private const string Supported =
        "wasme verifies ECDSA keys on the named curves P-256, P-384 and P-521 in a 'PUBLIC KEY' (SPKI) block with an uncompressed point, as 'wasme generate-key-pair' and 'cosign generate-key-pair' write";

    // Read before the import: .NET would take explicit curve parameters and curves Sigstore does not use (cosign's Go
    // reader refuses both), and its own error for the rest ("not a valid key") names neither the algorithm nor the fix.
    private static string? PublicKeyProblem(byte[] spki)
    {
        try
        {
            var info = new System.Formats.Asn1.AsnReader(spki, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
            var algorithm = info.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            if (oid != "1.2.840.10045.2.1")
            {
                var name = oid switch
                {
                    "1.2.840.113549.1.1.1" => "RSA",
                    "1.2.840.113549.1.1.10" => "RSA-PSS",
                    "1.3.101.112" => "Ed25519",
                    "1.3.101.113" => "Ed448",
                    "1.2.840.10040.4.1" => "DSA",
                    _ => $"algorithm {oid}",
                };
                return $"is an {name} key, not an ECDSA one";
            }

            if (!algorithm.HasData || algorithm.PeekTag() != System.Formats.Asn1.Asn1Tag.ObjectIdentifier)
            {
                return "gives explicit curve parameters instead of naming its curve (re-export it with 'openssl ec -pubin -param_enc named_curve')";
            }

            var curve = algorithm.ReadObjectIdentifier();
            if (curve is not ("1.2.840.10045.3.1.7" or "1.3.132.0.34" or "1.3.132.0.35"))
            {
                return $"is an ECDSA key on curve {curve}, which Sigstore does not use";
            }

            var point = info.ReadBitString(out _);
            if (point.Length > 0 && point[0] is 0x02 or 0x03)
            {
                return "holds a compressed curve point (re-export it with 'openssl ec -pubin -conv_form uncompressed')";
            }

            return null;
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            return "is damaged: its PUBLIC KEY block is not a SubjectPublicKeyInfo";
        }
    }

    private static byte[] ReadPem(string pem, string source, string[] labels, Func<string?, string> notFound)
    {
        string? first = null;
        var text = pem.AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            var label = text[fields.Label].ToString();
            first ??= label;
            if (labels.Contains(label))
            {
                try
                {
                    return Convert.FromBase64String(text[fields.Base64Data].ToString());
                }
                catch (FormatException ex)
                {
                    throw new OciUsageException($"{source} is damaged: its {label} block is not base64.", ex);
                }
            }

            text = text[fields.Location.End..];
        }

        throw new OciUsageException(notFound(first));
    }

    private static byte[] DeriveKey(string password, byte[] salt, int n, int r, int p) =>
        SCrypt.Generate(Encoding.UTF8.GetBytes(password), salt, n, r, p, SecretBox.KeySize);
}
