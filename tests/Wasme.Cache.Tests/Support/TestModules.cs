using System.Security.Cryptography;

namespace Wasme.Cache.Tests.Support;

internal static class TestModules
{
    /// <summary>Bytes that start like a Wasm module; the cache treats modules as opaque content.</summary>
    public static byte[] Create(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        ReadOnlySpan<byte> header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        header.CopyTo(bytes);
        return bytes;
    }

    public static ModuleDigest DigestOf(byte[] bytes) => ModuleDigest.FromHash(SHA256.HashData(bytes));
}
