using Wasme.ProxyWasm.Abi;

namespace Wasme.ProxyWasm.Tests;

public sealed class HeaderMapTests
{
    [Fact]
    public void Keys_are_lower_cased_and_add_keeps_duplicates()
    {
        var map = new HeaderMap();
        map.Add("Set-Cookie", "a=1");
        map.Add("set-cookie", "b=2");

        Assert.Equal(2, map.Count);
        Assert.True(map.TryGetValue("SET-COOKIE", out var first));
        Assert.Equal("a=1", first);
        Assert.Equal(["a=1", "b=2"], map.GetValues("set-cookie"));
        Assert.Equal("set-cookie", map[1].Key);
    }

    [Fact]
    public void Set_replaces_every_value_and_remove_drops_all_of_a_key()
    {
        var map = new HeaderMap();
        map.Add("x", "1");
        map.Add("y", "2");
        map.Add("x", "3");

        map.Set("X", "9");
        Assert.Equal(["9"], map.GetValues("x"));
        Assert.Equal(2, map.Count);

        Assert.True(map.Remove("x"));
        Assert.False(map.Remove("x"));
        Assert.False(map.ContainsKey("x"));
        Assert.Equal("y", Assert.Single(map).Key);
    }

    [Fact]
    public void Serialization_matches_the_spec_example_byte_for_byte()
    {
        var map = new HeaderMap();
        map.Add("a", "1");
        map.Add("b", "22");

        var bytes = PairsCodec.Serialize(map);

        Assert.Equal(Convert.FromHexString("02000000" + "01000000" + "01000000" + "01000000" + "02000000" + "6100" + "3100" + "6200" + "323200"), bytes);
    }

    [Fact]
    public void Parsing_round_trips_and_lower_cases_keys()
    {
        var map = new HeaderMap();
        map.Add("content-type", "text/plain");
        map.Add("x-multi", "1");
        map.Add("x-multi", "2");
        var bytes = PairsCodec.Serialize(map);
        bytes[4 + (8 * 3)] = (byte)'C'; // "Content-type" as a guest might send it

        var parsed = new HeaderMap();
        Assert.True(PairsCodec.TryParse(bytes, 1024 * 1024, 1024, parsed));

        Assert.Equal(["1", "2"], parsed.GetValues("x-multi"));
        Assert.True(parsed.TryGetValue("content-type", out var type));
        Assert.Equal("text/plain", type);
    }

    [Theory]
    [InlineData("01000000")] // count 1, no lengths
    [InlineData("0100000001000000010000006100")] // value missing
    [InlineData("01000000010000000100000061003100FF")] // trailing byte
    [InlineData("010000000100000001000000610131")] // missing NUL after key
    [InlineData("FFFFFFFF0000000000000000")] // absurd count
    [InlineData("0100000000000080000000800000")] // lengths overflow 32 bits
    public void Malformed_maps_are_rejected_without_touching_the_target(string hex)
    {
        var target = new HeaderMap();
        target.Add("keep", "me");

        Assert.False(PairsCodec.TryParse(Convert.FromHexString(hex), 1024 * 1024, 1024, target));
        Assert.Equal("keep", Assert.Single(target).Key);
    }

    [Fact]
    public void Empty_map_encodings_are_accepted_and_limits_are_enforced()
    {
        var parsed = new HeaderMap();
        Assert.True(PairsCodec.TryParse([], 16, 1, parsed));
        Assert.True(PairsCodec.TryParse([0], 16, 1, parsed));
        Assert.Equal(0, parsed.Count);

        var two = new HeaderMap();
        two.Add("a", "1");
        two.Add("b", "2");
        var bytes = PairsCodec.Serialize(two);
        Assert.False(PairsCodec.TryParse(bytes, 1024, 1, new HeaderMap()));
        Assert.False(PairsCodec.TryParse(bytes, bytes.Length - 1, 10, new HeaderMap()));
    }

    [Fact]
    public void Version_moves_on_every_change_and_only_then()
    {
        var map = new HeaderMap();
        map.Add("a", "1");
        var start = map.Version;

        map.TryGetValue("a", out _);
        map.Remove("absent");
        Assert.Equal(start, map.Version);

        map.Set("a", "2");
        Assert.NotEqual(start, map.Version);
        var afterSet = map.Version;
        map.Remove("a");
        Assert.NotEqual(afterSet, map.Version);
        var afterRemove = map.Version;
        map.Clear();
        Assert.NotEqual(afterRemove, map.Version);
    }
}
