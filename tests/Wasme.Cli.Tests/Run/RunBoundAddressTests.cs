using System.Text.Json.Nodes;
using Wasme.Cli.Tests.Support;

namespace Wasme.Cli.Tests.Run;

/// <summary>
/// <c>wasme run</c> on port 0, as a script or test harness should start it: the ports the kernel chose are printed
/// (the banner, and one JSON line with <c>-o json</c>), and the proxy and admin endpoint answer there.
/// </summary>
public sealed class RunBoundAddressTests
{
    [Fact]
    public async Task With_o_json_the_bound_addresses_are_one_json_line_on_stdout_and_the_banner_goes_to_stderr()
    {
        var cli = new CliRunner();
        using var stop = new CancellationTokenSource();
        var run = cli.RunAsync(stop.Token, "run", "--echo-upstream", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "-o", "json");
        try
        {
            var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
            while (!run.IsCompleted && !cli.Out.Output.Contains('\n', StringComparison.Ordinal) && DateTimeOffset.UtcNow < deadline)
            {
                await Task.WhenAny(run, Task.Delay(20));
            }

            Assert.False(run.IsCompleted, cli.Error.Output);
            var line = cli.Out.Output.TrimEnd('\n');
            Assert.DoesNotContain("\n", line, StringComparison.Ordinal);
            var document = JsonNode.Parse(line)!.AsObject();
            var listen = new Uri((string)document["listen"]!);
            var admin = new Uri((string)document["admin"]!);
            Assert.NotEqual(0, listen.Port);
            Assert.NotEqual(0, admin.Port);
            Assert.StartsWith("http://127.0.0.1:", (string)document["upstream"]!, StringComparison.Ordinal);

            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
            Assert.Contains("\"path\": \"/through\"", await http.GetStringAsync(new Uri(listen, "/through")), StringComparison.Ordinal);
            Assert.Contains("wasme_proxy_requests_total 1", await http.GetStringAsync(new Uri(admin, "/stats")), StringComparison.Ordinal);
            Assert.Contains($"wasme run: listening on {listen.GetLeftPart(UriPartial.Authority)}", cli.Error.Output, StringComparison.Ordinal);
            Assert.Contains($"  admin {admin.GetLeftPart(UriPartial.Authority)}/stats", cli.Error.Output, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }

        Assert.Equal(1, cli.Out.Output.Count(c => c == '\n'));
    }

    [Fact]
    public async Task Given_port_0_the_banner_names_the_ports_bound()
    {
        await using var wasme = await RunningWasme.StartAsync("--echo-upstream", "--admin", "127.0.0.1:0");

        var admin = ListeningBanner.Admin(wasme.Out.Output);
        Assert.NotNull(admin);
        Assert.NotEqual(0, wasme.Port);
        Assert.NotEqual(0, admin.Port);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        Assert.Equal("LIVE\n", await http.GetStringAsync($"http://{admin}/ready"));
        using var response = await wasme.Client.GetAsync("/");
        Assert.True(response.IsSuccessStatusCode);
    }
}
