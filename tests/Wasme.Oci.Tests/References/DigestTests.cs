using Wasme.Oci.Errors;
using Wasme.Oci.References;

namespace Wasme.Oci.Tests.References;

public sealed class DigestTests
{
    [Fact]
    public void Compute_matches_the_known_sha256_of_empty_input() =>
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Digest.Compute([]).ToString());

    [Theory]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("sha256:../../../../etc/passwd")]
    [InlineData("sha256:e3b0")]
    public void Only_lowercase_sha256_hex_is_accepted_so_the_hex_is_a_safe_file_name(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
        Assert.Throws<OciUsageException>(() => Digest.Parse(text));
    }
}
