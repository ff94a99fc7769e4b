using System.Net;
using System.Text.Json.Nodes;
using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Istio;
using Wasme.Cli.Tests.Support;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.Cli.Tests.Daemons;

/// <summary>
/// Issue 14, point 5, as a platform engineer meets it: a FilterDeployment is applied, its image is changed to one that
/// does not resolve, and a node joins afterwards. The live EnvoyFilter still uses the first module, so the new node's
/// <c>wasme cache</c> must fetch that module from the repository it was applied from, not pair the spec's new
/// repository with the old digest (which the registry answers with 404).
/// </summary>
public sealed class FailedImageChangeTests : IAsyncLifetime
{
    private const string Namespace = "bookinfo";
    private readonly TempDirectory _scratch = new();
    private KubernetesTestServer _kube = null!;
    private DockerRegistryProcess _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);
        _kube = await KubernetesTestServer.StartAsync();
        await _kube.InstallIstioCrdsAsync();
        _kube.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(IstioCli.Root, "deploy", "crds", "filterdeployments.wasme.io.yaml")));
        _kube.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(IstioCli.Root, "deploy", "crds", "cachenoderecords.wasme.io.yaml")));
        _kube.ApplyYaml($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {Namespace}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
    }

    public async Task DisposeAsync()
    {
        await _kube.DisposeAsync();
        await _registry.DisposeAsync();
        _scratch.Dispose();
    }

    [Fact]
    public async Task A_node_joining_after_a_failed_image_change_serves_the_module_still_applied()
    {
        var module = TestWasmModule.Create(4096, seed: 5);
        var pushed = await PushAsync($"{_registry.Host}/filters/add-header:v1", module);
        var moduleSha256 = Digest.Compute(module).Hex;
        await KubectlAsync("apply", "-f", Write("workload.yaml", Workload));
        using var op = WasmeProcess.Start(Environment, "operator", "--kubeconfig", _kube.KubeconfigPath,
            "--health-address", "127.0.0.1:0", "--metrics-address", "", "--cache-service-url", "http://127.0.0.1:9979");
        await KubectlAsync("apply", "-f", Write("filter.yaml", FilterDeployment(pushed)));
        await EventuallyAsync(() => Condition("Ready") == "True", "the FilterDeployment is Ready", op);
        var liveFilter = EnvoyFilterText();
        Assert.Contains(moduleSha256, liveFilter, StringComparison.Ordinal);

        // The image change fails: the new repository has no such tag. What was applied stays applied.
        await KubectlAsync("patch", "filterdeployment", "header", "-n", Namespace, "--type=merge",
            "-p", new JsonObject { ["spec"] = new JsonObject { ["filter"] = new JsonObject { ["image"] = $"{_registry.Host}/filters/renamed:v2" } } }.ToJsonString());
        await EventuallyAsync(() => Condition("ImageResolved") == "False" && ObservedGeneration("ImageResolved") == 2, "the new image fails to resolve", op);
        Assert.Equal(liveFilter, EnvoyFilterText());

        // A node joins now: its cache starts empty and must serve the module the live EnvoyFilter names.
        using var cache = WasmeProcess.Start(Environment, "cache", "--kubeconfig", _kube.KubeconfigPath, "--namespace", "wasme",
            "--node-name", "node-2", "--directory", Path.Combine(_scratch.Path, "node-2"), "--listen", "http://127.0.0.1:0");
        Uri? bound = null;
        await EventuallyAsync(() => (bound = CacheAddress(cache.OutputSoFar)) is not null, "node-2's cache logs the address it bound", cache);
        using var http = new HttpClient { BaseAddress = bound };
        byte[]? served = null;
        await EventuallyAsync(async () => (served = await TryGetAsync(http, $"sha256/{moduleSha256}")) is not null, "node-2 serves the applied module", cache);
        Assert.Equal(module, served);
        // The node's readiness record follows once the store is complete (written after the bytes are in place).
        await EventuallyAsync(
            () => (_kube.Get("wasme.io/v1", "CacheNodeRecord", "wasme", "node-2")?["spec"]?["modules"] as JsonArray)?.Any(m => (string?)m == moduleSha256) == true,
            "node-2's readiness record lists the applied module",
            cache);
    }

    private IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["HOME"] = _scratch.Path,
        ["KUBECONFIG"] = _kube.KubeconfigPath,
    };

    private static string Workload => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: details-v1
          namespace: {{Namespace}}
          labels: {app: details, version: v1}
        spec:
          selector:
            matchLabels: {app: details, version: v1}
          template:
            metadata:
              labels: {app: details, version: v1}
            spec:
              containers:
              - name: details
                image: docker.io/istio/examples-bookinfo-details-v1:1.16.2
        """;

    private static string FilterDeployment(string image) => $$"""
        apiVersion: wasme.io/v1
        kind: FilterDeployment
        metadata:
          name: header
          namespace: {{Namespace}}
        spec:
          deployment:
            istio:
              kind: Deployment
              labels: {app: details}
          filter:
            id: header
            config: world
            image: {{image}}
            imagePullOptions: {plainHttp: true}
        """;

    private string? Condition(string type) =>
        (string?)FindCondition(type)?["status"];

    private long? ObservedGeneration(string type) =>
        (long?)FindCondition(type)?["observedGeneration"];

    private JsonObject? FindCondition(string type) =>
        _kube.Get("wasme.io/v1", "FilterDeployment", Namespace, "header")?["status"]?["conditions"]?.AsArray()
            .FirstOrDefault(c => (string?)c?["type"] == type)?.AsObject();

    private string EnvoyFilterText() =>
        _kube.Get("networking.istio.io/v1alpha3", "EnvoyFilter", Namespace, "details-v1-header")?["spec"]?.ToJsonString()
            ?? throw new InvalidOperationException("EnvoyFilter details-v1-header does not exist");

    private static async Task<string> PushAsync(string image, byte[] module)
    {
        var packed = ImagePacker.Pack(module, RuntimeConfig.Create(["0.2.1"], ["add_header"]), WasmImageFormat.Wasme);
        using var client = new RegistryClient(new RegistryClientOptions { PlainHttp = true }, AnonymousCredentialProvider.Instance);
        await new ImagePusher(client).PushAsync(packed, ImageReference.Parse(image));
        return image;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_scratch.Path, name);
        File.WriteAllText(path, text);
        return path;
    }

    private async Task KubectlAsync(params string[] args)
    {
        var (code, output, error) = await ExternalTool.RunAsync("kubectl", [.. args, "--kubeconfig", _kube.KubeconfigPath, "--cache-dir", Path.Combine(_scratch.Path, "kubectl-cache")]);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {error}{output}");
    }

    private static async Task<byte[]?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsByteArrayAsync() : null;
        }
        catch (HttpRequestException)
        {
            return null; // Not listening yet.
        }
    }

    /// <summary>The address <c>wasme cache</c> logs once bound: with port 0, the port the kernel chose.</summary>
    private static Uri? CacheAddress(string log) =>
        System.Text.RegularExpressions.Regex.Match(log, @"Cache listening on (?<address>http://[^,\s""]+)") is { Success: true } match
            ? new Uri(match.Groups["address"].Value)
            : null;

    private static Task EventuallyAsync(Func<bool> condition, string what, WasmeProcess process) =>
        EventuallyAsync(() => Task.FromResult(condition()), what, process);

    /// <summary>Polls until <paramref name="condition"/> holds; on timeout fails naming what was awaited.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, WasmeProcess process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what} (process {process.Id})");
            }

            await Task.Delay(100);
        }
    }
}
