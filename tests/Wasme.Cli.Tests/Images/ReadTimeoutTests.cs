using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Images;

/// <summary><c>--read-timeout</c>: a registry that stops sending fails the pull (exit 5) instead of hanging it.</summary>
public sealed class ReadTimeoutTests
{
    private static readonly PackedImage Image = ImagePacker.Pack(TestWasmModule.Create(64 * 1024, seed: 61), RuntimeConfig.Create(["v0.2.1"], ["root"]), WasmImageFormat.Wasme);

    [Fact]
    public async Task A_pull_whose_blob_stalls_after_its_headers_exits_5_naming_the_blob_the_host_and_the_flag()
    {
        await using var registry = await ScriptedRegistry.ServingImageAsync(Image, async (context, blob) =>
        {
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob[..(blob.Length / 2)]);
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var cli = new ImageCli();

        // A short timeout keeps the test quick; the default is 30s.
        var exit = await cli.RunAsync("pull", $"{registry.Host}/stalled/filter:v1", "--read-timeout", "2s");

        Assert.Equal(ExitCodes.NetworkFailure, exit);
        var error = cli.Error.Output;
        Assert.Matches($"{registry.Host} (stopped sending|did not answer) blob sha256:[0-9a-f]{{64}} of stalled/filter", error);
        Assert.Contains("--read-timeout", error, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(cli.Store)
            ? Directory.EnumerateFiles(cli.Store, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".wasme.lock", StringComparison.Ordinal))
            : []);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0s")]
    [InlineData("-5s")]
    public async Task A_read_timeout_that_is_not_a_positive_duration_is_a_usage_error(string value)
    {
        using var cli = new ImageCli();

        var exit = await cli.RunAsync("pull", "127.0.0.1:1/team/filter:v1", "--read-timeout", value);

        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains($"--read-timeout '{value}' is not a positive duration", cli.Error.Output, StringComparison.Ordinal);
    }
}
