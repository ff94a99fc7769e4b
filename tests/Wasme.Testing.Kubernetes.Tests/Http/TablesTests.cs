using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Tests.Http;

public sealed class TablesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(200, "3m20s")]
    [InlineData(3600, "60m")]
    [InlineData(4 * 3600 + 60, "4h1m")]
    [InlineData(30 * 3600, "30h")]
    [InlineData(3 * 86400 + 3600, "3d1h")]
    [InlineData(9 * 86400, "9d")]
    public void Age_ReadsLikeKubectl(int secondsAgo, string expected) =>
        Assert.Equal(expected, Tables.Age(YamlTimestamp(Now.AddSeconds(-secondsAgo)), Now));

    [Fact]
    public void Evaluate_FollowsPrinterColumnJsonPaths()
    {
        var obj = JsonNode.Parse("""{"status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True"}],"list":[7]}}""");

        Assert.Equal("True", Tables.Evaluate(obj, """.status.conditions[?(@.type=="Ready")].status""").AsText());
        Assert.Equal("7", Tables.Evaluate(obj, ".status.list[0]").AsText());
        Assert.Null(Tables.Evaluate(obj, ".status.missing.deeper"));
    }

    private static string YamlTimestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
