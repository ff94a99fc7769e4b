using System.Security.Cryptography;

namespace Wasme.Proxy.Streams;

/// <summary>
/// Random (version 4) UUIDs for <c>x-request-id</c>, as Envoy generates them. Guid.NewGuid reads the kernel's
/// random source once per id, a system call on every request; this draws the same CSPRNG bytes 256 ids at a time
/// into a per-thread buffer, as Envoy's own generator does.
/// </summary>
internal static class RequestIds
{
    private const int IdsPerRefill = 256;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_offset;

    public static string Next()
    {
        var random = t_random ??= new byte[16 * IdsPerRefill];
        if (t_offset == 0)
        {
            RandomNumberGenerator.Fill(random);
        }

        var bytes = random.AsSpan(t_offset, 16);
        t_offset = (t_offset + 16) % random.Length;
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
