using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Wasme.Signing.Keys;

/// <summary>
/// NaCl <c>crypto_secretbox</c> (XSalsa20 + Poly1305), the cipher of cosign's encrypted private key.
/// The output is the 16-byte tag followed by the ciphertext, as NaCl writes it.
/// </summary>
internal static class SecretBox
{
    public const int KeySize = 32;
    public const int NonceSize = 24;
    private const int TagSize = 16;

    public static byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        var (cipher, macKey) = Start(nonce, key);
        var sealedBox = new byte[TagSize + plaintext.Length];
        cipher.ProcessBytes(plaintext, sealedBox.AsSpan(TagSize));
        Tag(macKey, sealedBox.AsSpan(TagSize), sealedBox.AsSpan(0, TagSize));
        return sealedBox;
    }

    /// <summary>Null when the tag does not match: a wrong password or a damaged key file.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> sealedBox, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        if (sealedBox.Length < TagSize)
        {
            return null;
        }

        var (cipher, macKey) = Start(nonce, key);
        Span<byte> expected = stackalloc byte[TagSize];
        Tag(macKey, sealedBox[TagSize..], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, sealedBox[..TagSize]))
        {
            return null;
        }

        var plaintext = new byte[sealedBox.Length - TagSize];
        cipher.ProcessBytes(sealedBox[TagSize..], plaintext);
        return plaintext;
    }

    private static (XSalsa20Engine Cipher, byte[] MacKey) Start(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize || nonce.Length != NonceSize)
        {
            throw new ArgumentException("secretbox takes a 32-byte key and a 24-byte nonce.");
        }

        var cipher = new XSalsa20Engine();
        cipher.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        // The first 32 bytes of the key stream are the one-time Poly1305 key; the message uses the rest.
        var macKey = new byte[32];
        cipher.ProcessBytes(new byte[32], macKey);
        return (cipher, macKey);
    }

    private static void Tag(byte[] macKey, ReadOnlySpan<byte> ciphertext, Span<byte> tag)
    {
        var mac = new Poly1305();
        mac.Init(new KeyParameter(macKey));
        mac.BlockUpdate(ciphertext);
        mac.DoFinal(tag);
    }
}
