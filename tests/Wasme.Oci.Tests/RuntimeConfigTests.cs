using System.Text;
using Wasme.Oci.Errors;

namespace Wasme.Oci.Tests;

public sealed class RuntimeConfigTests
{
    [Fact]
    public void Writes_compact_camel_case_json()
    {
        var json = Encoding.UTF8.GetString(RuntimeConfig.Create(["v0.2.1"], ["add_header"]).ToJsonBytes());

        Assert.Equal("""{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["add_header"]}}""", json);
    }

    [Theory]
    [InlineData("""{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["a","b"]}}""")]
    [InlineData("""{"type":"envoy_proxy","abi_versions":["v0.2.1"],"config":{"root_ids":["a","b"]}}""")]
    public void Reads_camel_and_snake_case(string json)
    {
        var config = RuntimeConfig.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(["v0.2.1"], config.AbiVersions);
        Assert.Equal(["a", "b"], config.RootIds);
    }

    [Theory]
    [InlineData("""{"abiVersion":["v0.2.1"]}""", "unknown key 'abiVersion'")]
    [InlineData("""{"config":{"rootId":["a"]}}""", "unknown key 'config.rootId'")]
    [InlineData("""{"abiVersions":"v0.2.1"}""", "'abiVersions' must be an array")]
    [InlineData("""{"type":""", "not valid JSON")]
    public void Rejects_typos_and_wrong_shapes_naming_the_key(string json, string expected)
    {
        var error = Assert.Throws<OciUsageException>(() => RuntimeConfig.Parse(Encoding.UTF8.GetBytes(json), "runtime-config.json"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("runtime-config.json", error.Message, StringComparison.Ordinal);
    }
}
