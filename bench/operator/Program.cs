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

// Usage: dotnet run -c Release --project bench/operator -- [--filter-deployments N] [--workers N] [--namespaces N]
// One FilterDeployment per workload (N of each, default 500), spread over the namespaces (default 1), Remote delivery,
// one image in a real docker-registry. Reports time to all Ready, API writes per FilterDeployment, writes during a
// steady-state resync and after a restart, and the process's memory.
var count = Option("--filter-deployments", 500);
var workers = Option("--workers", 4);
var namespaces = Option("--namespaces", 1);

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {Load()} at start");
await using var registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);
var image = await PushAsync(registry.Host);
await using var server = await KubernetesTestServer.StartAsync();
await server.InstallIstioCrdsAsync();
server.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "crds", "filterdeployments.wasme.io.yaml")));
for (var n = 0; n < namespaces; n++)
{
    server.ApplyYaml($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NamespaceOf(n)}\n");
}

for (var i = 0; i < count; i++)
{
    server.Apply(Workload($"app-{i}", NamespaceOf(i)));
    server.Apply(FilterDeployment($"filter-{i}", $"app-{i}", image, NamespaceOf(i)));
}

using var metrics = new OperatorMetrics();
using var reconciles = new Counter(metrics);
using var client = server.CreateClient();
using var stop = new CancellationTokenSource();
var resync = TimeSpan.FromSeconds(20);
using var loggerFactory = LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Warning));
FilterDeploymentOperator NewOperator() => new(
    client,
    new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System),
    new FilterDeploymentOperatorOptions { Workers = workers, ResyncPeriod = resync },
    metrics,
    loggerFactory,
    TimeProvider.System);
using var op = NewOperator();

var revisionBefore = server.ResourceVersion;
server.Requests.Clear();
var clock = Stopwatch.StartNew();
var run = Task.Run(() => op.RunAsync(stop.Token));
while (Enumerable.Range(0, count).Any(i => !IsReady(server, $"filter-{i}", NamespaceOf(i))))
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

// Restart: a new operator over the converged objects reconciles every FilterDeployment once and should write nothing.
using var restarted = NewOperator();
using var stopRestarted = new CancellationTokenSource();
server.Requests.Clear();
var revisionRestart = server.ResourceVersion;
var restartReconciles = reconciles.Value;
var restartClock = Stopwatch.StartNew();
var rerun = Task.Run(() => restarted.RunAsync(stopRestarted.Token));
while (reconciles.Value < restartReconciles + count && restartClock.Elapsed < TimeSpan.FromMinutes(5))
{
    await Task.Delay(50);
}

var restartTime = restartClock.Elapsed;
await Task.Delay(1000);
var restartWrites = server.Requests.Snapshot().Count(r => r.Method is "POST" or "PUT" or "PATCH" or "DELETE");
var restartAccepted = server.ResourceVersion - revisionRestart;
await stopRestarted.CancelAsync();
try
{
    await rerun;
}
catch (OperationCanceledException)
{
}

using var self = Process.GetCurrentProcess();

Console.WriteLine($"FilterDeployments: {count}, workloads: {count}, namespaces: {namespaces}, workers: {workers}, EnvoyFilters: {envoyFilters}");
Console.WriteLine($"time to all Ready: {converge.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s");
Console.WriteLine($"API writes per FilterDeployment: {((double)accepted / count).ToString("F2", CultureInfo.InvariantCulture)} accepted ({accepted} total; {writeRequests} write requests{(requests.Count >= 10_000 ? ", request log truncated" : "")})");
Console.WriteLine($"steady-state resync: {steadyReconciles} reconciles, {steadyWrites} write requests, {steadyAccepted} accepted writes");
Console.WriteLine($"restart: {reconciles.Value - restartReconciles} reconciles in {restartTime.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s, {restartWrites} write requests, {restartAccepted} accepted writes");
Console.WriteLine($"memory (operator, API test server and registry client in one process): peak working set {self.PeakWorkingSet64 / (1024 * 1024)} MiB, managed heap {GC.GetTotalMemory(forceFullCollection: true) / (1024 * 1024)} MiB after a full collection");
Console.WriteLine($"load average at end: {Load()}");
return steadyWrites == 0 && restartWrites == 0 && envoyFilters == count ? 0 : 1;

string NamespaceOf(int i) => namespaces == 1 ? "bench" : $"bench-{i % namespaces}";

int CountEnvoyFilters(KubernetesTestServer server, int count) =>
    Enumerable.Range(0, count).Count(i => server.Get("networking.istio.io/v1alpha3", "EnvoyFilter", NamespaceOf(i), $"app-{i}-filter-{i}.{NamespaceOf(i)}") is not null);

static bool IsReady(KubernetesTestServer server, string name, string ns) =>
    server.Get("wasme.io/v1", "FilterDeployment", ns, name)?["status"]?["conditions"]?.AsArray()
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

static JsonObject Workload(string app, string ns) => new()
{
    ["apiVersion"] = "apps/v1",
    ["kind"] = "Deployment",
    ["metadata"] = new JsonObject { ["name"] = app, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = app } },
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

static JsonObject FilterDeployment(string name, string app, string image, string ns) => new()
{
    ["apiVersion"] = "wasme.io/v1",
    ["kind"] = "FilterDeployment",
    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
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
