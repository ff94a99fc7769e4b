using Wasme.Oci.Errors;
using Wasme.Oci.References;

namespace Wasme.Oci.Tests.References;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", "latest")]
    [InlineData("team/filter:v1", "docker.io", "team/filter", "v1")]
    [InlineData("localhost/filter", "localhost", "filter", "latest")]
    [InlineData("127.0.0.1:5000/team/filter:v1.2_3", "127.0.0.1:5000", "team/filter", "v1.2_3")]
    [InlineData("webassemblyhub.io/ceposta/demo-add-header:v0.2", "webassemblyhub.io", "ceposta/demo-add-header", "v0.2")]
    [InlineData("index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1")]
    public void Parses_with_docker_defaults(string text, string registry, string repository, string tag)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Null(reference.Digest);
    }

    [Fact]
    public void A_digest_reference_is_pinned_and_round_trips()
    {
        var digest = "sha256:" + new string('a', 64);

        var reference = ImageReference.Parse($"reg.example.com:443/a/b@{digest}");

        Assert.Null(reference.Tag);
        Assert.Equal(digest, reference.Identifier);
        Assert.Equal($"reg.example.com:443/a/b@{digest}", reference.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Team/Filter", "repository 'Team/Filter'")]
    [InlineData("reg.io/a:-bad", "tag '-bad'")]
    [InlineData("reg.io/a@sha256:abc", "is not a digest")]
    [InlineData("reg.io/a/../b", "repository 'a/../b'")]
    [InlineData("reg.io/a//b", "repository 'a//b'")]
    public void Rejects_bad_references_with_a_message_naming_the_part(string text, string expected)
    {
        var error = Assert.Throws<OciUsageException>(() => ImageReference.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(OciErrorKind.Usage, error.Kind);
    }

    [Theory]
    [InlineData("localhost:5000/a", true)]
    [InlineData("127.0.0.1:5000/a", true)]
    [InlineData("[::1]:5000/a", true)]
    [InlineData("127.0.0.2/a", true)]
    [InlineData("LocalHost:5000/a", true)]
    [InlineData("registry.example.com/a", false)]
    [InlineData("127.attacker.example/a", false)]
    [InlineData("127.0.0.1.nip.io:5000/a", false)]
    [InlineData("localhost.attacker.example/a", false)]
    [InlineData("128.0.0.1/a", false)]
    public void Knows_loopback_registries(string text, bool loopback) =>
        Assert.Equal(loopback, ImageReference.Parse(text).IsLoopbackRegistry);
}
