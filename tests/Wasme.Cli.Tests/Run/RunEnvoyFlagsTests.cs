using Microsoft.AspNetCore.Http;
using Wasme.Testing.Filters;
using Wasme.Testing.Http;

namespace Wasme.Cli.Tests.Run;

/// <summary>
/// <c>wasme run</c> flags for what Envoy's bootstrap and route give filters (--concurrency, --node, --route-*), and
/// the compiled-module cache that makes a second start skip compilation (issue 16, points 8 and 9).
/// </summary>
public sealed class RunEnvoyFlagsTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-cli-envoy-");

    private static Task AnswerUpstream(HttpContext context) => context.Response.WriteAsync("upstream");

    // Copies node, route and route-metadata properties into request headers the upstream records.
    private static byte[] PropertyModule()
    {
        var wat = new Wat();
        string Copy(string path, string header) =>
            $"(if (i32.eqz (call $proxy_get_property {wat.Str(path)} (i32.const 0) (i32.const 4))) (then {wat.AddReturnedAsHeader(0, header)}))";
        return Wasmtime.Module.ConvertText(wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              {{Copy("node\u0000metadata\u0000ISTIO_VERSION", "x-istio-version")}}
              {{Copy("xds\u0000route_name", "x-route")}}
              {{Copy("xds\u0000route_metadata\u0000filter_metadata\u0000istio\u0000service", "x-service")}}
              (i32.const 0))
            """)).ToArray();
    }

    private async Task<string> ModuleFileAsync()
    {
        var module = Path.Combine(_directory.FullName, "props.wasm");
        await File.WriteAllBytesAsync(module, PropertyModule());
        return module;
    }

    [Fact]
    public async Task Node_and_route_flags_reach_the_filter_and_concurrency_sets_the_vms_per_filter()
    {
        var module = await ModuleFileAsync();
        await using var upstream = await TestUpstream.StartAsync(AnswerUpstream);
        await using var wasme = await RunningWasme.StartAsync(module, "--upstream", upstream.Url.ToString(), "--concurrency", "2",
            "--node", "metadata.ISTIO_VERSION=1.24.2", "--route-name", "reviews-route", "--route-metadata", "filter_metadata.istio.service=reviews");
        Assert.True(wasme.ExitCode is null, wasme.Error.Output);

        using var response = await wasme.Client.GetAsync("/");

        var received = upstream.Received.Single();
        Assert.Equal("1.24.2", received.Headers["x-istio-version"]);
        Assert.Equal("reviews-route", received.Headers["x-route"]);
        Assert.Equal("reviews", received.Headers["x-service"]);
        Assert.Contains("2 VMs", wasme.Out.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--node", "metadata.ISTIO_VERSION", "--node: 'metadata.ISTIO_VERSION' is not KEY=VALUE")]
    [InlineData("--route-metadata", "filter_metadata..x=1", "--route-metadata: 'filter_metadata..x=1' is not KEY=VALUE")]
    [InlineData("--concurrency", "-1", "--concurrency: -1 is negative")]
    public async Task A_malformed_envoy_flag_is_a_usage_error_naming_it(string flag, string value, string message)
    {
        var module = await ModuleFileAsync();

        await using var wasme = await RunningWasme.StartAsync(module, "--echo-upstream", flag, value);

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains(message, wasme.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_start_takes_the_compiled_module_from_the_cache()
    {
        var module = await ModuleFileAsync();
        var cacheHome = Directory.CreateDirectory(Path.Combine(_directory.FullName, "cache")).FullName;
        await using (var first = await RunningWasme.StartWithCacheAsync(cacheHome, module, "--echo-upstream"))
        {
            Assert.True(first.ExitCode is null, first.Error.Output);
            Assert.DoesNotContain("compiled code from cache", first.Out.Output, StringComparison.Ordinal);
        }

        await using var second = await RunningWasme.StartWithCacheAsync(cacheHome, module, "--echo-upstream");
        Assert.True(second.ExitCode is null, second.Error.Output);

        Assert.Contains("compiled code from cache", second.Out.Output, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(cacheHome, "wasme", "compiled"), "*.cwasm"));
        using var response = await second.Client.GetAsync("/");
        Assert.True(response.IsSuccessStatusCode);
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
