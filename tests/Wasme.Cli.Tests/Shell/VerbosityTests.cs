using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Spectre.Console.Testing;
using Wasme.Cli.Commands.Clusters;
using Wasme.Cli.Infrastructure;
using Wasme.Cli.Tests.Images;
using Wasme.Cli.Tests.Istio;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Shell;

/// <summary>
/// <c>--verbose</c> shows each request and its status, <c>--debug</c> also headers and stack traces; neither ever shows a
/// credential, and without them stderr carries only warnings and errors.
/// </summary>
public sealed partial class VerbosityTests
{
    [Fact]
    public async Task Registry_requests_show_with_verbose_only_and_never_the_password()
    {
        await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Htpasswd);
        using var cli = new ImageCli();
        Assert.Equal(0, await cli.RunAsync("login", registry.Host, "-u", DockerRegistryProcess.User, "-p", DockerRegistryProcess.Password));
        var reference = $"{registry.Host}/verbose/filter:v1";
        await new LocalImageStore(cli.Store).AddAsync(ImageReference.Parse(reference), TestWasmModule.Create(seed: 42), RuntimeConfig.Create(["0.2.1"], ["r"]), WasmImageFormat.Wasme);
        Assert.Equal(0, await cli.RunAsync("push", reference, "-q"));

        Assert.Equal(0, await cli.RunAsync("list", "--remote", $"{registry.Host}/verbose/filter"));
        Assert.Equal(string.Empty, cli.Error.Output);

        foreach (var flag in new[] { "--verbose", "-v", "--debug" })
        {
            Assert.Equal(0, await cli.RunAsync("list", "--remote", $"{registry.Host}/verbose/filter", flag));
            Assert.Contains($"GET http://{registry.Host}/v2/verbose/filter/tags/list -> 200", cli.Error.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(DockerRegistryProcess.Password, cli.Error.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Basic ", cli.Error.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Debug_adds_the_stack_trace_of_a_failure()
    {
        using var cli = new ImageCli();

        Assert.Equal(ExitCodes.NotFound, await cli.RunAsync("inspect", "example.com/missing:v1"));
        Assert.Contains("error:", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", cli.Error.Output, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.NotFound, await cli.RunAsync("inspect", "example.com/missing:v1", "--debug"));
        Assert.Contains("   at Wasme.", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubernetes_requests_show_with_verbose_and_headers_with_debug_with_the_token_redacted()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: bookinfo}\n");
        var token = TokenLine().Match(await File.ReadAllTextAsync(server.KubeconfigPath)).Groups[1].Value.Trim();
        Assert.NotEmpty(token);
        var cli = IstioCli.Create();
        string[] deploy = ["deploy", "istio", "example.com/filter:v1", "--id", "f", "-n", "bookinfo", "--istio-version", "1.20", "--dry-run", "--kubeconfig", server.KubeconfigPath, .. IstioCli.SeedFacts];

        Assert.Equal(0, await cli.RunAsync(deploy));
        Assert.DoesNotContain("GET ", cli.Error.Output, StringComparison.Ordinal);

        Assert.Equal(0, await cli.RunAsync([.. deploy, "--verbose"]));
        Assert.Matches($@"GET {Regex.Escape(server.Url.ToString().TrimEnd('/'))}/apis/apps/v1/namespaces/bookinfo/deployments\S* -> 200 \(\d+ ms\)", cli.Error.Output);
        Assert.DoesNotContain("Authorization", cli.Error.Output, StringComparison.Ordinal);

        Assert.Equal(0, await cli.RunAsync([.. deploy, "--debug"]));
        Assert.Contains("> GET ", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("< 200 OK", cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Debug_headers_redact_credentials_whoever_sets_them()
    {
        var error = new TestConsole().Width(1000);
        var context = new CliContext { Out = new TestConsole(), Error = error, GetEnvironmentVariable = _ => null, TimeProvider = TimeProvider.System, IsInteractive = false };
        using var invoker = new HttpMessageInvoker(new KubernetesTraceHandler(context, Verbosity.Debug) { InnerHandler = new Answer() });
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://user:pass@127.0.0.1:6443/api/v1/namespaces?limit=5");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cr3t-token");
        request.Headers.Add("Cookie", "session=s3cr3t-cookie");

        using var response = await invoker.SendAsync(request, CancellationToken.None);

        Assert.Contains("> GET https://127.0.0.1:6443/api/v1/namespaces?limit=5", error.Output, StringComparison.Ordinal);
        Assert.Contains("Authorization: <redacted>", error.Output, StringComparison.Ordinal);
        Assert.Contains("Set-Cookie: <redacted>", error.Output, StringComparison.Ordinal);
        Assert.Contains("X-Request: visible", error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("pass@", error.Output, StringComparison.Ordinal);
    }

    private sealed class Answer : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK);
            response.Headers.Add("Set-Cookie", "session=s3cr3t-set");
            response.Headers.Add("X-Request", "visible");
            return Task.FromResult(response);
        }
    }

    [GeneratedRegex(@"token: (\S+)")]
    private static partial Regex TokenLine();
}
