using Microsoft.AspNetCore.Http;
using Wasme.Oci;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary>Issue 15 point 8: text inspect of an image whose runtime config lists a great many root ids.</summary>
public sealed class InspectOutputTests
{
    [Fact]
    public async Task Text_inspect_prints_every_root_id_of_a_huge_runtime_config_on_one_line()
    {
        using var cli = new ImageCli();
        // About 1.8 MB of runtime config, as in the issue (it took minutes of CPU in a Spectre grid).
        var rootIds = Enumerable.Range(0, 110_000).Select(i => $"root_id_{i:000000}").ToList();
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse("example.com/big/filter:v1"), TestWasmModule.Create(), RuntimeConfig.Create(["v0.2.1"], rootIds));

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("inspect", "example.com/big/filter:v1"));

        var lines = cli.Out.Output.Split('\n');
        Assert.Equal("Root ids      " + string.Join(", ", rootIds), Assert.Single(lines, l => l.StartsWith("Root ids", StringComparison.Ordinal)).TrimEnd('\r'));
        Assert.Contains(lines, l => l.StartsWith("ABI versions  v0.2.1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Manifest:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Control_characters_in_an_images_strings_do_not_reach_the_terminal()
    {
        using var cli = new ImageCli();
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse("example.com/evil/filter:v1"), TestWasmModule.Create(), RuntimeConfig.Create(["v0.2.1"], ["a\u001b]0;owned\u0007b"]));

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("inspect", "example.com/evil/filter:v1"));

        Assert.Contains("Root ids      a?]0;owned?b", cli.Out.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b]0;", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_manifest_in_inspect_output_keeps_plus_and_non_ascii_as_other_tools_print_them_and_still_escapes_controls()
    {
        using var cli = new ImageCli();
        // The ABI versions travel into a manifest annotation; the C1 control would start a terminal escape sequence.
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse("example.com/team/filter:v1"), TestWasmModule.Create(), RuntimeConfig.Create(["v0.2.1", "café\u009b31m"], ["root"]));

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("inspect", "example.com/team/filter:v1"));
        var text = cli.Out.Output;
        using var json = new ImageCli().WithEnvironment("WASME_STORE", cli.Store);
        Assert.Equal(ExitCodes.Success, await json.RunAsync("inspect", "example.com/team/filter:v1", "-o", "json"));

        foreach (var output in new[] { text, json.Out.Output })
        {
            Assert.Contains("\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\"", output, StringComparison.Ordinal);
            Assert.Contains("café", output, StringComparison.Ordinal);
            Assert.DoesNotContain("\\u002B", output, StringComparison.Ordinal);
            Assert.DoesNotContain("\u009b", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Control_characters_in_a_registrys_tag_list_do_not_reach_the_terminal()
    {
        await using var evil = await ScriptedRegistry.StartAsync(context => context.Response.WriteAsync("{\"tags\":[\"v1\\u001b]0;owned\\u0007\"]}"));
        using var cli = new ImageCli();

        Assert.Equal(ExitCodes.Success, await cli.RunAsync("list", "--remote", $"{evil.Host}/team/filter"));

        Assert.Contains("v1?]0;owned?", cli.Out.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b]0;", cli.Out.Output, StringComparison.Ordinal);
    }
}
