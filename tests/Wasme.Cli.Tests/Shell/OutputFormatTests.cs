using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Cli.Tests.Images;
using Wasme.Cli.Tests.Support;
using Wasme.Istio.Yaml;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Shell;

/// <summary><c>-o json</c> and <c>-o yaml</c> print one document that parses back to the same data, in the documented shape.</summary>
public sealed partial class OutputFormatTests
{
    [Fact]
    public async Task Exit_codes_as_json_are_the_table_and_yaml_parses_back_to_the_same_document()
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunAsync("exit-codes", "-o", "json"));
        var json = JsonNode.Parse(cli.Out.Output)!.AsArray();
        Assert.Equal(0, await cli.RunAsync("exit-codes", "-o", "yaml"));
        var yaml = Assert.Single(YamlJson.ReadDocuments(cli.Out.Output));

        Assert.Equal(ExitCodes.All.Select(c => (c.Code, c.Name, c.Meaning)), json.Select(e => ((int)e!["code"]!, (string)e["name"]!, (string)e["meaning"]!)));
        Assert.True(JsonNode.DeepEquals(json, yaml), cli.Out.Output);
    }

    [Fact]
    public async Task Version_as_json_names_the_version_and_yaml_parses_back_to_the_same_document()
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunAsync("version", "-o", "json"));
        var json = JsonNode.Parse(cli.Out.Output)!;
        Assert.Equal(0, await cli.RunAsync("version", "-o", "yaml"));
        var yaml = Assert.Single(YamlJson.ReadDocuments(cli.Out.Output));
        Assert.Equal(0, await cli.RunAsync("version"));

        Assert.Equal(["version", "edition", "runtime", "platform"], json.AsObject().Select(p => p.Key));
        Assert.StartsWith($"wasme {(string)json["version"]!} (full edition)", cli.Out.Output, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(json, yaml), cli.Out.Output);
    }

    [Fact]
    public async Task List_and_inspect_round_trip_through_yaml_and_print_times_in_rfc3339_utc_seconds()
    {
        using var cli = new ImageCli();
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse("example.com/team/filter:v1"), TestWasmModule.Create(seed: 41), RuntimeConfig.Create(["0.2.1"], ["add_header"]), WasmImageFormat.Wasme);

        foreach (var command in new[] { new[] { "list" }, ["inspect", "example.com/team/filter:v1"] })
        {
            Assert.Equal(0, await cli.RunAsync([.. command, "-o", "json"]));
            var json = JsonNode.Parse(cli.Out.Output);
            Assert.Equal(0, await cli.RunAsync([.. command, "-o", "yaml"]));
            var yaml = Assert.Single(YamlJson.ReadDocuments(cli.Out.Output));
            Assert.True(JsonNode.DeepEquals(json, yaml), cli.Out.Output);
        }

        Assert.Equal(0, await cli.RunAsync("list", "-o", "json"));
        var item = Assert.Single(JsonNode.Parse(cli.Out.Output)!.AsArray())!;
        Assert.Equal(["name", "tag", "digest", "size", "moduleDigest", "layout", "updated"], item.AsObject().Select(p => p.Key));
        Assert.Matches(Rfc3339Seconds(), (string)item["updated"]!);
        Assert.Equal(0, await cli.RunAsync("list"));
        Assert.Matches(Rfc3339Seconds(), cli.Out.Output.Split('\n')[1]);
    }

    [Fact]
    public async Task An_unknown_format_is_a_usage_error_naming_the_formats()
    {
        var cli = new CliRunner();

        Assert.Equal(ExitCodes.UsageError, await cli.RunAsync("exit-codes", "-o", "xml"));

        Assert.Contains("xml", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("json", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("yaml", cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Out.Output);
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")]
    private static partial Regex Rfc3339Seconds();
}
