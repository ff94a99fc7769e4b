using Wasme.Proxy.Forwarding;

namespace Wasme.Proxy.Tests.Forwarding;

/// <summary>
/// Paths with nothing to normalize are handed on as they are (and without a copy: most requests are such), with the
/// same result the full canonicalization gives them.
/// </summary>
public sealed class EnvoyPathNormalizerTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("//a//b//")]
    [InlineData("/api/v1/orders/42")]
    [InlineData("/~user/@x;y=1,2/a:b/[c]/!$&'()*+")]
    [InlineData("/a-b_c/D~E")]
    public void A_path_with_nothing_to_change_is_handed_on_as_sent(string path)
    {
        Assert.Same(path, EnvoyPathNormalizer.Normalize(path));
    }

    [Fact]
    public void Random_plain_paths_come_back_as_sent()
    {
        const string Plain = "!$&'()*+,-/0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_abcdefghijklmnopqrstuvwxyz~";
        var random = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(1, 40)];
            chars[0] = '/';
            for (var j = 1; j < chars.Length; j++)
            {
                chars[j] = Plain[random.Next(Plain.Length)];
            }

            var path = new string(chars);
            Assert.Equal(path, EnvoyPathNormalizer.Normalize(path));
        }
    }

    [Theory]
    [InlineData("/a/./b", "/a/b")]
    [InlineData("/a%41", "/aA")]
    [InlineData("/a\\b", "/a/b")]
    [InlineData("/a b", "/a%20b")]
    [InlineData("a", "/a")]
    public void A_path_with_something_to_change_is_normalized(string path, string expected)
    {
        Assert.Equal(expected, EnvoyPathNormalizer.Normalize(path));
    }
}
