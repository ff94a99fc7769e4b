using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Operator.Diagnostics;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Images;
using Wasme.Kubernetes.Clients;
using Wasme.Testing.Kubernetes;

namespace Wasme.Operator.Tests.Support;

/// <summary>
/// The Kubernetes API test server with Istio's CRDs and the FilterDeployment CRD, plus an operator
/// that can be started, killed and started again against it.
/// </summary>
public sealed class OperatorHarness : IAsyncDisposable
{
    public const string Namespace = "bookinfo";

    private readonly List<(CancellationTokenSource Stop, Task Run, FilterDeploymentOperator Operator, IKubernetes Client)> _running = [];

    private OperatorHarness(KubernetesTestServer server)
    {
        Server = server;
        Client = server.CreateClient();
    }

    public KubernetesTestServer Server { get; }

    /// <summary>A client for the test itself (the operator gets its own).</summary>
    public IKubernetes Client { get; }

    public OperatorMetrics Metrics { get; } = new();

    public TestLoggerProvider Logs { get; } = new();

    public FilterDeploymentOperator? Operator => _running.Count > 0 ? _running[^1].Operator : null;

    /// <summary>A server with Istio's CRDs; without <paramref name="wasmPluginCrd"/> it looks like Istio before 1.12.</summary>
    public static async Task<OperatorHarness> StartAsync(bool wasmPluginCrd = true)
    {
        var server = await KubernetesTestServer.StartAsync();
        if (wasmPluginCrd)
        {
            await server.InstallIstioCrdsAsync();
        }
        else
        {
            server.ApplyYaml(string.Join("\n---\n", (await IstioCrdDocumentsAsync()).Where(d => !IsWasmPluginCrd(d))));
        }

        server.ApplyYaml(await File.ReadAllTextAsync(RepositoryFiles.Path("deploy", "crds", "filterdeployments.wasme.io.yaml")));
        server.ApplyYaml(await File.ReadAllTextAsync(RepositoryFiles.Path("deploy", "crds", "cachenoderecords.wasme.io.yaml")));
        server.ApplyYaml($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {Namespace}\n");
        return new OperatorHarness(server);
    }

    /// <summary>Installs the WasmPlugin CRD later, as an Istio upgrade to 1.12 or later would.</summary>
    public async Task InstallWasmPluginCrdAsync() =>
        Server.ApplyYaml((await IstioCrdDocumentsAsync()).Single(IsWasmPluginCrd));

    private static async Task<IEnumerable<string>> IstioCrdDocumentsAsync() =>
        (await File.ReadAllTextAsync(IstioCrds.Find()!)).Split("\n---\n");

    private static bool IsWasmPluginCrd(string document) => document.Contains("\n  name: wasmplugins.extensions.istio.io\n", StringComparison.Ordinal);

    public FilterDeploymentOperator StartOperator(FilterDeploymentOperatorOptions? options = null, IImageResolver? images = null, IWriteFence? fence = null, TimeProvider? time = null)
    {
        var client = Server.CreateClient();
        var op = new FilterDeploymentOperator(
            client,
            images ?? new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System),
            options ?? new FilterDeploymentOperatorOptions(),
            Metrics,
            LoggerFactory.Create(b => b.AddProvider(Logs)),
            time ?? TimeProvider.System,
            fence: fence);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => op.RunAsync(stop.Token));
        _running.Add((stop, run, op, client));
        return op;
    }

    /// <summary>Stops the latest operator abruptly (what a killed pod looks like to the API server).</summary>
    public async Task KillOperatorAsync()
    {
        var (stop, run, op, client) = _running[^1];
        _running.RemoveAt(_running.Count - 1);
        await stop.CancelAsync();
        try
        {
            await run;
        }
        catch (OperationCanceledException)
        {
        }

        op.Dispose();
        client.Dispose();
        stop.Dispose();
    }

    public JsonObject Apply(JsonObject manifest) => Server.Apply(manifest);

    public Task KubectlApplyAsync(JsonObject manifest) => Kubectl.ApplyAsync(Server.KubeconfigPath, manifest.ToJsonString());

    public Task KubectlApplyYamlAsync(string yaml) => Kubectl.ApplyAsync(Server.KubeconfigPath, yaml);

    // Injected conflicts hit every writer, the test's own delete included; a user would simply run it again.
    public async Task DeleteFilterDeploymentAsync(string name)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Client.CustomObjects.DeleteNamespacedCustomObjectAsync("wasme.io", "v1", Namespace, "filterdeployments", name);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }
    }

    /// <summary>The condition of <paramref name="type"/> on a FilterDeployment, or null.</summary>
    public JsonObject? Condition(string name, string type) =>
        FilterDeployment(name)?["status"]?["conditions"]?.AsArray().FirstOrDefault(c => (string?)c!["type"] == type)?.AsObject();

    public bool IsReady(string name) => (string?)Condition(name, "Ready")?["status"] == "True";

    /// <summary>
    /// True while the latest operator has the FilterDeployment queued or in a reconcile. The server logs a request
    /// before its response ends, so once this is false every write those reconciles made is in <see cref="Writes"/>.
    /// </summary>
    public bool IsReconciling(string name) => Operator?.Controller.Queue.IsBusy(new ObjectKey(Namespace, name)) == true;

    /// <summary>
    /// Failed reconciles of the FilterDeployment since its last good one, as the latest operator's backoff counts them.
    /// Counted before the queue lets go of the key, so once <see cref="IsReconciling"/> is false this includes them all.
    /// </summary>
    public int Failures(string name) => Operator?.Controller.Queue.Requeues(new ObjectKey(Namespace, name)) ?? 0;

    public JsonObject? Get(string apiVersion, string kind, string name, string ns = Namespace) => Server.Get(apiVersion, kind, ns, name);

    public JsonObject? FilterDeployment(string name) => Get("wasme.io/v1", "FilterDeployment", name);

    public JsonObject? EnvoyFilter(string name) => Get("networking.istio.io/v1alpha3", "EnvoyFilter", name);

    /// <summary>Every object of a kind in the test namespace.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(string group, string version, string plural)
    {
        var list = await Client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, Namespace, plural);
        var json = JsonNode.Parse(KubernetesJson.Serialize(list))!.AsObject();
        return [.. json["items"]!.AsArray().Select(i => i!.AsObject())];
    }

    /// <summary>Events recorded about the FilterDeployment <paramref name="name"/>.</summary>
    public async Task<IReadOnlyList<JsonObject>> EventsAboutAsync(string name)
    {
        var list = await Client.CoreV1.ListNamespacedEventAsync(Namespace);
        return [.. list.Items.Where(e => e.InvolvedObject?.Name == name && e.InvolvedObject.Kind == "FilterDeployment")
            .Select(e => JsonNode.Parse(KubernetesJson.Serialize(e))!.AsObject())];
    }

    /// <summary>Writes (POST, PUT, PATCH, DELETE) the API server has answered since the request log was last cleared.</summary>
    public IReadOnlyList<Wasme.Testing.Kubernetes.Http.RecordedRequest> Writes() =>
        [.. Server.Requests.Snapshot().Where(r => r.Method is "POST" or "PUT" or "PATCH" or "DELETE")];

    public Task<IReadOnlyList<JsonObject>> EnvoyFiltersAsync() => ListAsync("networking.istio.io", "v1alpha3", "envoyfilters");

    /// <summary>
    /// Polls the API server until <paramref name="condition"/> holds (controllers converge asynchronously; this is
    /// controller-runtime's "Eventually"). Fails with <paramref name="what"/> after the timeout.
    /// </summary>
    public async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}. Operator log:\n{string.Join('\n', Logs.Lines.TakeLast(30))}");
            }

            await Task.Delay(25);
        }
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}");
            }

            await Task.Delay(25);
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_running.Count > 0)
        {
            await KillOperatorAsync();
        }

        Client.Dispose();
        Metrics.Dispose();
        await Server.DisposeAsync();
    }
}
