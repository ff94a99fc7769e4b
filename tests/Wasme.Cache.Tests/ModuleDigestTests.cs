namespace Wasme.Cache.Tests;

public sealed class ModuleDigestTests
{
    private const string Hex = "44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267";

    [Theory]
    [InlineData(Hex)]
    [InlineData("sha256:" + Hex)]
    public void Parses_bare_hex_and_oci_form(string value)
    {
        var digest = ModuleDigest.Parse(value);

        Assert.Equal(Hex, digest.Hex);
        Assert.Equal("sha256:" + Hex, digest.OciDigest);
    }

    [Theory]
    [InlineData("44BF95B368E78FAFB663020B43CF099B23FC6032814653F2F47E4D20643E7267")]
    [InlineData("44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e726")]
    [InlineData("44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e72670")]
    [InlineData("../../../../../../../../../../../../../../../../etc/passwd0000000")]
    [InlineData("sha512:44bf95b368e78fafb663020b43cf099b23fc6032814653f2f47e4d20643e7267")]
    [InlineData("")]
    public void Rejects_anything_that_is_not_64_lowercase_hex(string value)
    {
        Assert.False(ModuleDigest.TryParse(value, out _));
        var error = Assert.Throws<FormatException>(() => ModuleDigest.Parse(value));
        Assert.Contains("64 lowercase hex", error.Message, StringComparison.Ordinal);
    }
}
