using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Cache.Fetching;
using Wasme.Cache.Kubernetes;
using Wasme.Cache.Tests.Support;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Nodes;
using Wasme.Testing.Kubernetes;

namespace Wasme.Cache.Tests.Kubernetes;

/// <summary>The cache's Kubernetes side against the API test server, through KubernetesClient.</summary>
public sealed class KubernetesIntegrationTests
{
    private const string Manifest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    private static async Task InstallCrdAsync(KubernetesTestServer server)
    {
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = server.KubeconfigPath };
        var result = await ExternalProcess.RunAsync("kubectl", ["apply", "-f", "deploy/crds/filterdeployments.wasme.io.yaml", "-f", "deploy/crds/cachenoderecords.wasme.io.yaml", "-f", "deploy/namespace.yaml"], env);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static JsonObject FilterDeployment(string name, ModuleDigest module) => new()
    {
        ["apiVersion"] = "wasme.io/v1",
        ["kind"] = "FilterDeployment",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
        ["spec"] = new JsonObject
        {
            ["deployment"] = new JsonObject { ["istio"] = new JsonObject { ["kind"] = "Deployment" } },
            ["filter"] = new JsonObject { ["image"] = "127.0.0.1:5000/filters/add-header:v1" },
        },
        ["status"] = new JsonObject { ["imageDigest"] = Manifest, ["moduleSha256"] = module.Hex },
    };

    [Fact]
    public async Task Feed_follows_filterdeployments_and_the_node_record_lists_held_modules()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        await InstallCrdAsync(server);
        var client = server.CreateClient();
        var source = new FakeModuleSource();
        var first = source.Add(TestModules.Create(1000, seed: 1));
        var second = source.Add(TestModules.Create(1000, seed: 2));
        var resources = new KubernetesResourceClient<Wasme.Istio.Api.FilterDeployment>(client, ResourceType.FilterDeployment);
        await CreateResolvedAsync(server, "one", first);

        var feed = new FilterDeploymentFeed(resources, null, TimeProvider.System, NullLoggerFactory.Instance);
        var events = new RecordingEvents();
        var observer = new KubernetesCacheObserver(client, events, feed, "wasme", "node-a", NullLogger<KubernetesCacheObserver>.Instance);
        using var harness = new CacheHarness(source, new CacheOptions(), observer);
        using var stop = new CancellationTokenSource();
        var feeding = feed.RunAsync(harness.Cache, stop.Token);

        await WaitForWantedAsync(harness, first);
        await harness.Cache.SyncAsync();

        var records = new KubernetesResourceClient<CacheNodeRecord>(client, CacheNodeRecord.Type);
        var record = (await records.GetAsync("wasme", "node-a", CancellationToken.None))!;
        Assert.Equal([first.Hex], record.HeldModules());
        Assert.Equal("node-a", record.NodeName);
        var cached = Assert.Single(events.Recorded);
        Assert.Equal(("one", "ModuleCached"), (cached.Subject, cached.Reason));

        // A second FilterDeployment: the record gains its module; passes without change write nothing.
        await CreateResolvedAsync(server, "two", second);
        await WaitForWantedAsync(harness, second);
        await harness.Cache.SyncAsync();
        record = (await records.GetAsync("wasme", "node-a", CancellationToken.None))!;
        Assert.Equal(new[] { first.Hex, second.Hex }.Order(StringComparer.Ordinal), record.Spec.Modules);
        var version = record.Metadata.ResourceVersion;
        await harness.Cache.SyncAsync();
        await harness.Cache.SyncAsync();
        Assert.Equal(version, (await records.GetAsync("wasme", "node-a", CancellationToken.None))!.Metadata.ResourceVersion);
        Assert.Equal(2, events.Recorded.Count);

        // Deleting a FilterDeployment drops its module from the wanted set (eviction then applies).
        var delete = await ExternalProcess.RunAsync("kubectl", ["delete", "filterdeployment", "one", "-n", "default"], new Dictionary<string, string> { ["KUBECONFIG"] = server.KubeconfigPath });
        Assert.True(delete.ExitCode == 0, delete.ToString());
        await WaitForWantedAsync(harness, set => !set.ContainsKey(first) && set.ContainsKey(second));

        // Cancelling stops the feed cleanly (the daemon treats either ending as a stop).
        await stop.CancelAsync();
        await feeding.WaitAsync(TimeSpan.FromSeconds(30));
    }

    // The Events the cache and operator post are judged as kube-apiserver judges Events (the test server models
    // ValidateEventCreate): a refused one would be lost silently, as the recorder only logs failures.
    [Theory]
    [InlineData("one")]
    [InlineData("a-name-as-long-as-a-dns-subdomain-may-be")]
    public async Task Events_the_recorder_posts_are_accepted_and_name_their_filterdeployment(string name)
    {
        await using var server = await KubernetesTestServer.StartAsync();
        await InstallCrdAsync(server);
        var client = server.CreateClient();
        if (name.Length > 3)
        {
            name = string.Join('.', Enumerable.Repeat(name, 7))[..253].TrimEnd('.', '-');
        }

        var resources = new KubernetesResourceClient<Wasme.Istio.Api.FilterDeployment>(client, ResourceType.FilterDeployment);
        Assert.True(ModuleDigest.TryParse("sha256:" + new string('2', 64), out var module));
        await CreateResolvedAsync(server, name, module);
        var subject = await resources.GetAsync("default", name, CancellationToken.None);
        var recorder = new KubernetesEventRecorder(client, "wasme-cache", TimeProvider.System, NullLogger<KubernetesEventRecorder>.Instance);

        await recorder.RecordAsync(subject!, EventTypes.Warning, "ModuleFetchFailed", new string('x', 5000), CancellationToken.None);

        var recorded = Assert.Single((await client.CoreV1.ListNamespacedEventAsync("default")).Items);
        Assert.Equal((name, "default", "FilterDeployment"), (recorded.InvolvedObject.Name, recorded.InvolvedObject.NamespaceProperty, recorded.InvolvedObject.Kind));
        Assert.Equal(1024, recorded.Message.Length);
    }

    [Fact]
    public async Task Pull_secret_in_dockerconfigjson_form_gives_its_credentials()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var client = server.CreateClient();
        var config = """{"auths":{"registry.example:5000":{"auth":"dXNlcjpwYXNz"}}}"""u8.ToArray();
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "hub" },
            Type = "kubernetes.io/dockerconfigjson",
            Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = config },
        }, "default");
        var source = new KubernetesPullCredentialSource(client);

        var credentials = await source.GetAsync(new SecretReference("default", "hub"), CancellationToken.None);
        var credential = await credentials.GetAsync("registry.example:5000", CancellationToken.None);

        Assert.Equal(("user", "pass"), (credential!.Username, credential.Password));
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetAsync(new SecretReference("default", "nope"), CancellationToken.None).AsTask());
        Assert.Contains("kubectl create secret docker-registry nope", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_secrets_the_cache_cannot_use_are_refused_naming_the_secret_and_the_fix()
    {
        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { InitialNamespaces = ["default", "wasme"] });
        var admin = server.CreateClient();
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "wasme-cache" } }, "wasme");
        await admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "broken" },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = "user:hunter2"u8.ToArray() },
        }, "default");
        await admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "legacy" },
            Type = "kubernetes.io/dockercfg",
            Data = new Dictionary<string, byte[]> { [".dockercfg"] = """{"registry.example:5000":{"auth":"dXNlcjpwYXNz"}}"""u8.ToArray() },
        }, "default");
        using var cache = server.CreateServiceAccountClient("wasme", "wasme-cache");

        // Without the namespace's RoleBinding: kube-apiserver's 403, which read "Operation returned an invalid status code 'Forbidden'".
        var forbidden = await Assert.ThrowsAsync<InvalidOperationException>(() => new KubernetesPullCredentialSource(cache, "wasme").GetAsync(new SecretReference("default", "legacy"), CancellationToken.None).AsTask());
        Assert.Equal(
            "The cache may not read pull secret default/legacy (403 Forbidden). Grant it in namespace default: kubectl create rolebinding wasme-pull-secret-reader -n default --clusterrole wasme-pull-secret-reader --serviceaccount wasme:wasme-cache (docs/install.md).",
            forbidden.Message);

        // Not JSON: was "the pull secret is not a valid Docker config file (…). Fix it or remove it and run 'wasme login' again."
        var source = new KubernetesPullCredentialSource(admin, "wasme");
        var broken = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetAsync(new SecretReference("default", "broken"), CancellationToken.None).AsTask());
        Assert.StartsWith("Pull secret default/broken: its '.dockerconfigjson' is not a Docker config file", broken.Message, StringComparison.Ordinal);
        Assert.Contains("kubectl create secret docker-registry broken -n default", broken.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wasme login", broken.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", broken.Message, StringComparison.Ordinal);

        // A kubernetes.io/dockercfg secret, which the kubelet accepts for image pulls: was "has neither a '.dockerconfigjson' key …".
        var legacy = await (await source.GetAsync(new SecretReference("default", "legacy"), CancellationToken.None)).GetAsync("registry.example:5000", CancellationToken.None);
        Assert.Equal(("user", "pass"), (legacy!.Username, legacy.Password));
    }

    /// <summary>Creates a FilterDeployment and writes the status the operator would, both with kubectl.</summary>
    private static async Task CreateResolvedAsync(KubernetesTestServer server, string name, ModuleDigest module)
    {
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = server.KubeconfigPath };
        var manifest = FilterDeployment(name, module);
        var status = manifest["status"]!.DeepClone();
        manifest.Remove("status");
        var file = Path.Combine(Path.GetTempPath(), $"wasme-fd-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, manifest.ToJsonString());
        try
        {
            var create = await ExternalProcess.RunAsync("kubectl", ["create", "-f", file], env);
            Assert.True(create.ExitCode == 0, create.ToString());
            var patch = await ExternalProcess.RunAsync("kubectl",
                ["patch", "filterdeployment", name, "-n", "default", "--subresource=status", "--type=merge", "-p", new JsonObject { ["status"] = status }.ToJsonString()], env);
            Assert.True(patch.ExitCode == 0, patch.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Task WaitForWantedAsync(CacheHarness harness, ModuleDigest module) =>
        WaitForWantedAsync(harness, set => set.ContainsKey(module));

    private static async Task WaitForWantedAsync(CacheHarness harness, Func<IReadOnlyDictionary<ModuleDigest, WantedModule>, bool> condition)
    {
        // The informer delivers the watch event on its own task: wait for the change it causes.
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
            await wanted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            harness.Cache.WantedChanged -= OnChanged;
        }
    }

    private sealed class RecordingEvents : IEventRecorder
    {
        public List<(string Subject, string Reason)> Recorded { get; } = [];

        public Task RecordAsync(IKubernetesObject<V1ObjectMeta> subject, string type, string reason, string message, CancellationToken cancellationToken)
        {
            lock (Recorded)
            {
                Recorded.Add((subject.Metadata.Name, reason));
            }

            return Task.CompletedTask;
        }
    }
}
