using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Operator.Diagnostics;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.Images;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

// Usage: dotnet run -c Release --project bench/operator -- [--filter-deployments N] [--workers N]
// One FilterDeployment per workload (N of each, default 500), one namespace, Remote delivery, one image in a real
// docker-registry. Reports time to all Ready, API writes per FilterDeployment, and writes during a steady-state resync.
var count = Option("--filter-deployments", 500);
var workers = Option("--workers", 4);
const string Namespace = "bench";

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {Load()} at start");
await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);
var image = await PushAsync(registry.Host);
await using var server = await KubernetesTestServer.StartAsync();
await server.InstallIstioCrdsAsync();
server.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "crds", "filterdeployments.wasme.io.yaml")));
server.ApplyYaml($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {Namespace}\n");
for (var i = 0; i < count; i++)
{
    server.Apply(Workload($"app-{i}"));
    server.Apply(FilterDeployment($"filter-{i}", $"app-{i}", image));
}

using var metrics = new OperatorMetrics();
using var reconciles = new Counter(metrics);
using var client = server.CreateClient();
using var stop = new CancellationTokenSource();
var resync = TimeSpan.FromSeconds(20);
using var op = new FilterDeploymentOperator(
    client,
    new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System),
    new FilterDeploymentOperatorOptions { Workers = workers, ResyncPeriod = resync },
    metrics,
    LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Warning)),
    TimeProvider.System);

var revisionBefore = server.ResourceVersion;
server.Requests.Clear();
var clock = Stopwatch.StartNew();
var run = Task.Run(() => op.RunAsync(stop.Token));
while (Enumerable.Range(0, count).Any(i => !IsReady(server, $"filter-{i}")))
{
    if (run.IsCompleted)
    {
        await run;
        throw new InvalidOperationException("the operator stopped before converging");
    }

    await Task.Delay(50);
}

var converge = clock.Elapsed;
// Every accepted write (create, update, patch, delete, status, Event) takes the next resourceVersion.
var accepted = server.ResourceVersion - revisionBefore;
var requests = server.Requests.Snapshot();
var writeRequests = requests.Count(r => r.Method is "POST" or "PUT" or "PATCH" or "DELETE");
var envoyFilters = CountEnvoyFilters(server, count);

// Steady state: let the last writes echo through the watches, then watch one full resync of every FilterDeployment.
await Task.Delay(1000);
server.Requests.Clear();
var revisionSteady = server.ResourceVersion;
var startReconciles = reconciles.Value;
var steadyClock = Stopwatch.StartNew();
while (reconciles.Value < startReconciles + count && steadyClock.Elapsed < resync * 3)
{
    await Task.Delay(100);
}

var steadyReconciles = reconciles.Value - startReconciles;
var steadyWrites = server.Requests.Snapshot().Count(r => r.Method is "POST" or "PUT" or "PATCH" or "DELETE");
var steadyAccepted = server.ResourceVersion - revisionSteady;
await stop.CancelAsync();
try
{
    await run;
}
catch (OperationCanceledException)
{
}

Console.WriteLine($"FilterDeployments: {count}, workloads: {count}, workers: {workers}, EnvoyFilters: {envoyFilters}");
Console.WriteLine($"time to all Ready: {converge.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s");
Console.WriteLine($"API writes per FilterDeployment: {((double)accepted / count).ToString("F2", CultureInfo.InvariantCulture)} accepted ({accepted} total; {writeRequests} write requests{(requests.Count >= 10_000 ? ", request log truncated" : "")})");
Console.WriteLine($"steady-state resync: {steadyReconciles} reconciles, {steadyWrites} write requests, {steadyAccepted} accepted writes");
Console.WriteLine($"load average at end: {Load()}");
return steadyWrites == 0 && envoyFilters == count ? 0 : 1;

static int CountEnvoyFilters(KubernetesTestServer server, int count) =>
    Enumerable.Range(0, count).Count(i => server.Get("networking.istio.io/v1alpha3", "EnvoyFilter", Namespace, $"app-{i}-filter-{i}.{Namespace}") is not null);

static bool IsReady(KubernetesTestServer server, string name) =>
    server.Get("wasme.io/v1", "FilterDeployment", Namespace, name)?["status"]?["conditions"]?.AsArray()
        .Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true;

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) && value > 0
        ? value
        : index >= 0 ? throw new ArgumentException($"{name} needs a positive whole number") : fallback;
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Wasme.slnx")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("run from inside the repository (Wasme.slnx not found)");
}

static async Task<string> PushAsync(string host)
{
    var packed = ImagePacker.Pack(TestWasmModule.Create(512, 7), RuntimeConfig.Create(["0.2.1"], ["add_header"]), WasmImageFormat.Wasme);
    using var registryClient = new RegistryClient(new RegistryClientOptions { PlainHttp = true }, AnonymousCredentialProvider.Instance);
    var reference = ImageReference.Parse($"{host}/bench/filter:v1");
    await new ImagePusher(registryClient).PushAsync(packed, reference);
    return reference.ToString();
}

static JsonObject Workload(string app) => new()
{
    ["apiVersion"] = "apps/v1",
    ["kind"] = "Deployment",
    ["metadata"] = new JsonObject { ["name"] = app, ["namespace"] = Namespace, ["labels"] = new JsonObject { ["app"] = app } },
    ["spec"] = new JsonObject
    {
        ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = app } },
        ["template"] = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = app } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "docker.io/library/nginx:1.27" }) },
        },
    },
};

static JsonObject FilterDeployment(string name, string app, string image) => new()
{
    ["apiVersion"] = "wasme.io/v1",
    ["kind"] = "FilterDeployment",
    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
    ["spec"] = new JsonObject
    {
        ["deployment"] = new JsonObject { ["istio"] = new JsonObject { ["kind"] = "Deployment", ["labels"] = new JsonObject { ["app"] = app } } },
        ["filter"] = new JsonObject { ["config"] = "world", ["image"] = image },
    },
};

/// <summary>Finished reconciles of one OperatorMetrics instance.</summary>
internal sealed class Counter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _value;

    public Counter(OperatorMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "wasme_operator_reconciles")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _value, value));
        _listener.Start();
    }

    public long Value => Interlocked.Read(ref _value);

    public void Dispose() => _listener.Dispose();
}
