using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Wasme.Cache.Fetching;
using Wasme.Cache.Kubernetes;
using Wasme.Cache.Tests.Support;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Nodes;
using Wasme.Testing.Kubernetes;

namespace Wasme.Cache.Tests.Kubernetes;

/// <summary>
/// Day 2: the API server misbehaves (throttles, fails, cuts watches) while the cache serves modules. What the node holds
/// stays held and wanted, and once the API server answers again the cache catches up: new FilterDeployments are fetched
/// and the node's readiness record lists them.
/// </summary>
public sealed class ApiFaultTests
{
    private const string Manifest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    [Fact]
    public async Task Api_faults_keep_held_modules_wanted_and_the_cache_converges_once_they_end()
    {
        await using var server = await StartServerAsync();
        // As the daemon builds it: Retry-After is honoured for reads, writes fail fast.
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-cache", TimeProvider.System);
        var source = new FakeModuleSource();
        var first = source.Add(TestModules.Create(1000, seed: 11));
        var second = source.Add(TestModules.Create(1000, seed: 12));
        var third = source.Add(TestModules.Create(1000, seed: 13));
        await ResolvedAsync(server, "one", first);

        var resources = new KubernetesResourceClient<Wasme.Istio.Api.FilterDeployment>(client, ResourceType.FilterDeployment);
        var feed = new FilterDeploymentFeed(resources, null, TimeProvider.System, NullLoggerFactory.Instance);
        var events = new KubernetesEventRecorder(client, "wasme-cache", TimeProvider.System, NullLogger<KubernetesEventRecorder>.Instance);
        var observer = new KubernetesCacheObserver(client, events, feed, "wasme", "node-a", NullLogger<KubernetesCacheObserver>.Instance);
        using var harness = new CacheHarness(source, new CacheOptions(), observer);
        using var stop = new CancellationTokenSource();
        var feeding = feed.RunAsync(harness.Cache, stop.Token);
        await WaitForWantedAsync(harness, set => set.ContainsKey(first));
        await harness.Cache.SyncAsync();
        Assert.Equal([first.Hex], RecordedModules(server));

        // Reads throttled (429 with Retry-After) a few times, watches cut at once and dropped, node record writes failing:
        // meanwhile a second FilterDeployment arrives.
        server.Faults.Throttle("filterdeployments", retryAfterSeconds: 1, method: "GET", times: 3);
        server.Faults.CloseWatchesAtOnce(times: 3);
        server.Faults.FailPath("/cachenoderecords", 500);
        server.Faults.DropWatches();
        await ResolvedAsync(server, "two", second);
        await WaitForWantedAsync(harness, set => set.ContainsKey(first) && set.ContainsKey(second));
        await Assert.ThrowsAnyAsync<Exception>(() => harness.Cache.SyncAsync());
        Assert.True(harness.Directory.Contains(first) && harness.Directory.Contains(second), "both modules are on the node although the record could not be written");
        Assert.Equal([first.Hex], RecordedModules(server));

        // Every FilterDeployment read failing with 500 and the watches gone: the informer keeps what it knew, so the held
        // modules stay wanted (not evicted as unreferenced), and a FilterDeployment added meanwhile is picked up later.
        server.Faults.Reset();
        server.Faults.FailPath("filterdeployments", 503, method: "GET");
        server.Faults.DropWatches();
        await ResolvedAsync(server, "three", third);
        await harness.Cache.SyncAsync();
        Assert.True(harness.Cache.Wanted.ContainsKey(first) && harness.Cache.Wanted.ContainsKey(second), "held modules stay wanted during the outage");
        Assert.Equal(new[] { first.Hex, second.Hex }.Order(StringComparer.Ordinal), RecordedModules(server));

        server.Faults.Reset();
        await WaitForWantedAsync(harness, set => set.ContainsKey(first) && set.ContainsKey(second) && set.ContainsKey(third));
        await harness.Cache.SyncAsync();
        Assert.Equal(new[] { first.Hex, second.Hex, third.Hex }.Order(StringComparer.Ordinal), RecordedModules(server));

        await stop.CancelAsync();
        await feeding.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Across_an_API_server_restart_held_modules_stay_served_and_the_cache_follows_changes_made_after_it()
    {
        // A control-plane upgrade: kube-apiserver refuses connections for a while, then serves the same data again.
        await using var server = await StartServerAsync();
        using var client = KubernetesClientFactory.Create(server.CreateClientConfiguration(), "wasme-cache", TimeProvider.System);
        var source = new FakeModuleSource();
        var first = source.Add(TestModules.Create(1000, seed: 21));
        var second = source.Add(TestModules.Create(1000, seed: 22));
        await ResolvedAsync(server, "one", first);

        var resources = new KubernetesResourceClient<Wasme.Istio.Api.FilterDeployment>(client, ResourceType.FilterDeployment);
        // The feed's informer on a clock of its own, so its watch can have been open a while when the server goes (one
        // that ends within a second is "very short" and listed again, as client-go does) and its retries are driven here.
        var feedTime = new FakeTimeProvider();
        var feed = new FilterDeploymentFeed(resources, null, feedTime, NullLoggerFactory.Instance);
        var events = new KubernetesEventRecorder(client, "wasme-cache", TimeProvider.System, NullLogger<KubernetesEventRecorder>.Instance);
        var observer = new KubernetesCacheObserver(client, events, feed, "wasme", "node-a", NullLogger<KubernetesCacheObserver>.Instance);
        using var harness = new CacheHarness(source, new CacheOptions(), observer);
        using var stop = new CancellationTokenSource();
        var feeding = feed.RunAsync(harness.Cache, stop.Token);
        await AdvanceUntilAsync(feedTime, () => harness.Cache.Wanted.ContainsKey(first) && server.Faults.OpenWatches == 1);
        await harness.Cache.SyncAsync();
        var lists = ListsOfFilterDeployments(server);
        feedTime.Advance(TimeSpan.FromMinutes(30));

        await server.StopListeningAsync();
        var duringDowntime = await Record.ExceptionAsync(() => harness.Cache.SyncAsync());
        Assert.True(harness.Cache.Wanted.ContainsKey(first), "the held module stays wanted while the API server is down");
        Assert.True(harness.Directory.Contains(first), $"the held module stays on the node while the API server is down ({duringDowntime?.Message})");

        await server.StartListeningAsync();
        await ResolvedAsync(server, "two", second);
        await AdvanceUntilAsync(feedTime, () => harness.Cache.Wanted.ContainsKey(first) && harness.Cache.Wanted.ContainsKey(second));
        await harness.Cache.SyncAsync();
        Assert.True(harness.Directory.Contains(first) && harness.Directory.Contains(second));
        Assert.Equal(new[] { first.Hex, second.Hex }.Order(StringComparer.Ordinal), RecordedModules(server));
        Assert.Equal(lists, ListsOfFilterDeployments(server));

        await stop.CancelAsync();
        await feeding.WaitAsync(TimeSpan.FromSeconds(30));
    }

    // Moves the clock in small steps until the condition holds (the informer waits on it before each retry).
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
    }

    // LISTs of FilterDeployments the server answered (a watch is a GET with watch=true).
    private static int ListsOfFilterDeployments(KubernetesTestServer server) => server.Requests.Snapshot().Count(r =>
        r.Method == "GET" && r.Path.EndsWith("/filterdeployments", StringComparison.Ordinal) && !r.Query.Contains("watch=true", StringComparison.Ordinal));

    private static IEnumerable<string> RecordedModules(KubernetesTestServer server)
    {
        var record = server.Get($"{CacheNodeRecord.Group}/{CacheNodeRecord.Version}", CacheNodeRecord.KubeKind, "wasme", "node-a");
        return (record?["spec"]?["modules"] as JsonArray ?? []).Select(m => m!.GetValue<string>());
    }

    // A FilterDeployment with the status the operator would write, as the admin (the faults are meant for the cache).
    private static async Task ResolvedAsync(KubernetesTestServer server, string name, ModuleDigest module)
    {
        server.Apply(new JsonObject
        {
            ["apiVersion"] = "wasme.io/v1",
            ["kind"] = "FilterDeployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["deployment"] = new JsonObject { ["istio"] = new JsonObject { ["kind"] = "Deployment" } },
                ["filter"] = new JsonObject { ["image"] = "127.0.0.1:5000/filters/add-header:v1" },
            },
        });
        using var admin = server.CreateClient();
        var status = new JsonObject { ["status"] = new JsonObject { ["imageDigest"] = Manifest, ["moduleSha256"] = module.Hex } };
        await admin.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(status.ToJsonString(), V1Patch.PatchType.MergePatch), "wasme.io", "v1", "default", "filterdeployments", name);
    }

    private static async Task WaitForWantedAsync(CacheHarness harness, Func<IReadOnlyDictionary<ModuleDigest, WantedModule>, bool> condition)
    {
        var wanted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(IReadOnlyDictionary<ModuleDigest, WantedModule> set)
        {
            if (condition(set))
            {
                wanted.TrySetResult();
            }
        }

        harness.Cache.WantedChanged += OnChanged;
        try
        {
            OnChanged(harness.Cache.Wanted);
            await wanted.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        finally
        {
            harness.Cache.WantedChanged -= OnChanged;
        }
    }

    // An API server with wasme's CRDs and its namespace, as the cache meets it.
    private static async Task<KubernetesTestServer> StartServerAsync()
    {
        var server = await KubernetesTestServer.StartAsync();
        server.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(ExternalProcess.RepositoryRoot, "deploy/crds/filterdeployments.wasme.io.yaml")));
        server.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(ExternalProcess.RepositoryRoot, "deploy/crds/cachenoderecords.wasme.io.yaml")));
        server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        return server;
    }
}
