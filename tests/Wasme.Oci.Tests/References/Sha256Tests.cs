using System.Security.Cryptography;
using Wasme.Oci.References;

namespace Wasme.Oci.Tests.References;

/// <summary>Documents are hashed in managed code, larger content by the platform: both must give the same digests.</summary>
public sealed class Sha256Tests
{
    public static TheoryData<int> Lengths() =>
        [0, 1, 55, 56, 63, 64, 65, 1000, Sha256.ManagedLimit - 1, Sha256.ManagedLimit, Sha256.ManagedLimit + 1, 200_000];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Compute_matches_the_platform_sha256_on_both_sides_of_the_managed_limit(int length)
    {
        var content = Content(length);

        Assert.Equal(Expected(content), Digest.Compute(content));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Incremental_hash_in_uneven_pieces_matches_the_platform_sha256(int length)
    {
        var content = Content(length);
        using var hash = Sha256.ForLength(length);
        for (var offset = 0; offset < length;)
        {
            var count = Math.Min(length - offset, 1 + (offset % 97));
            hash.Append(content.AsSpan(offset, count));
            offset += count;
        }

        Assert.Equal(Expected(content), hash.Finish());
    }

    [Fact]
    public void Known_vector_is_hashed_in_managed_code() =>
        Assert.Equal(
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            Digest.Compute("abc"u8).ToString());

    private static byte[] Content(int length)
    {
        var content = new byte[length];
        new Random(length).NextBytes(content);
        return content;
    }

    private static Digest Expected(byte[] content) => Digest.FromHash(SHA256.HashData(content));
}
