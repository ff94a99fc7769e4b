using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Tests.Json;

public sealed class YamlJsonTests
{
    [Fact]
    public void ParseDocuments_UsesTheCoreSchema_AndSkipsEmptyDocuments()
    {
        var documents = YamlJson.ParseDocuments("""
            ---
            a: 1
            b: "1"
            c: true
            d: 'yes'
            e: ~
            f: 1.5
            g: [x, 2]
            h: 0x10
            ---
            ---
            kind: Second
            """);

        Assert.Equal(2, documents.Count);
        Assert.Equal("""{"a":1,"b":"1","c":true,"d":"yes","e":null,"f":1.5,"g":["x",2],"h":16}""", documents[0].ToJsonString());
        Assert.Equal("Second", documents[1]["kind"]!.GetValue<string>());
    }
}
