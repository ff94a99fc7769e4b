using System.Text.Json.Nodes;
using Wasme.Testing.Filters;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.E2E.Tests;

/// <summary>
/// A "cluster" made of real parts where they can run here: a docker-registry process, the Kubernetes API
/// test server with Istio's CRDs and wasme installed from deploy/ by <c>kubectl apply -k</c>, and the real
/// <c>wasme operator</c> and <c>wasme cache</c> processes pointed at it with the tokens of their deploy/
/// ServiceAccounts, so the shipped RBAC authorizes every call they make. The filter image is built from the
/// AssemblyScript template and pushed once.
/// </summary>
public sealed class ClusterEnvironment : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("wasme-e2e-").FullName;
    private readonly List<WasmeProcess> _processes = [];

    public DockerRegistryProcess Registry { get; private set; } = null!;

    public KubernetesTestServer Kube { get; private set; } = null!;

    /// <summary>The port node-1's cache bound (it is given port 0).</summary>
    public int CachePort { get; private set; }

    public string CacheDirectory => Path.Combine(_root, "node-cache");

    /// <summary>HOME for every wasme and kubectl process: its own store and credentials, nothing from the machine.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["HOME"] = Path.Combine(_root, "home"),
        ["WASME_STORE"] = Path.Combine(_root, "store"),
        ["KUBECONFIG"] = Kube.KubeconfigPath,
    };

    public string Image => $"{Registry.Host}/e2e/add-header:v1";

    public WasmeProcess Operator { get; private set; } = null!;

    public WasmeProcess Cache { get; private set; } = null!;

    public const string OperatorUser = "system:serviceaccount:wasme:wasme-operator";

    public const string CacheUser = "system:serviceaccount:wasme:wasme-cache";

    /// <summary>A kubeconfig acting as the operator's ServiceAccount (what its pod gets).</summary>
    public string OperatorKubeconfig { get; private set; } = null!;

    /// <summary>A kubeconfig acting as the cache's ServiceAccount.</summary>
    public string CacheKubeconfig { get; private set; } = null!;

    /// <summary>The install as a user does it (docs/install.md): every object of deploy/, through kubectl.</summary>
    public IReadOnlyList<string> InstalledManifests { get; private set; } = [];

    /// <summary>Each delivery mode's end-to-end run, started once by whichever test needs it first.</summary>
    public DeliveryRuns Deliveries { get; } = new();

    public string Scratch(string name) => Path.Combine(_root, name);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "home"));
        Directory.CreateDirectory(CacheDirectory);

        var filter = await new AssemblyScriptFilters().BuildAsync(AssemblyScriptFilters.AddHeaderSource);
        Registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);
        Kube = await KubernetesTestServer.StartAsync();
        await Kube.InstallIstioCrdsAsync();
        await InstallAsync();

        // The author's half: the template's module becomes an image in the local store, then in the registry.
        var runtimeConfig = Scratch("runtime-config.json");
        await File.WriteAllBytesAsync(runtimeConfig, filter.Config.ToJsonBytes());
        await RunWasmeAsync("build", "precompiled", filter.ModulePath, "-t", Image, "--config", runtimeConfig);
        await RunWasmeAsync("push", Image);

        // As in the pods of deploy/: each process acts as its ServiceAccount, never as the admin.
        var cacheKubeconfig = CacheKubeconfig = await Kube.CreateServiceAccountKubeconfigAsync("wasme", "wasme-cache", Scratch("kubeconfig-wasme-cache"));
        var operatorKubeconfig = OperatorKubeconfig = await Kube.CreateServiceAccountKubeconfigAsync("wasme", "wasme-operator", Scratch("kubeconfig-wasme-operator"));
        Cache = Track(WasmeProcess.Start("wasme cache", Environment,
            "cache", "--kubeconfig", cacheKubeconfig, "--namespace", "wasme", "--node-name", "node-1",
            "--directory", CacheDirectory, "--listen", "http://127.0.0.1:0"));
        CachePort = (await Cache.WaitForBoundAsync(WasmeProcess.CacheListening, TimeSpan.FromSeconds(60))).Port;
        Operator = Track(WasmeProcess.Start("wasme operator", Environment,
            "operator", "--kubeconfig", operatorKubeconfig,
            "--leader-elect", "--leader-election-namespace", "wasme", "--leader-election-lease", "wasme-operator",
            "--cache-service-url", $"http://127.0.0.1:{CachePort}",
            "--health-address", "127.0.0.1:0",
            "--metrics-address", "127.0.0.1:0"));
    }

    /// <summary>
    /// Installs wasme as docs/install.md says, <c>kubectl apply -k deploy/</c> (the only place that does), then
    /// applies it again server-side as Flux and Argo CD do: both with every admission check on, neither may warn.
    /// </summary>
    private async Task InstallAsync()
    {
        foreach (var mode in new[] { "apply", "apply --server-side" })
        {
            var (code, output, error) = await ExternalTool.RunAsync("kubectl",
                [.. mode.Split(' '), "-k", Path.Combine(RepositoryRoot, "deploy"), "--kubeconfig", Kube.KubeconfigPath, "--cache-dir", Scratch("kubectl-cache")]);
            if (code != 0 || error.Contains("Warning:", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"kubectl {mode} -k deploy/ exited {code} (it must succeed without warnings): {error}\n{output}");
            }

            InstalledManifests = InstalledManifests.Count > 0 ? InstalledManifests : output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    public async Task<string> RunWasmeAsync(params string[] arguments)
    {
        var (code, output) = await WasmeProcess.RunAsync(Environment, arguments);
        return code == 0 ? output : throw new InvalidOperationException($"wasme {string.Join(' ', arguments)} exited {code}:\n{output}");
    }

    public async Task<string> KubectlAsync(params string[] arguments)
    {
        var all = arguments.Concat(["--kubeconfig", Kube.KubeconfigPath, "--cache-dir", Scratch("kubectl-cache")]);
        var (code, output, error) = await ExternalTool.RunAsync("kubectl", all);
        return code == 0 ? output : throw new InvalidOperationException($"kubectl {string.Join(' ', arguments)} exited {code}: {error}\n--- operator ---\n{Operator.Output}\n--- cache ---\n{Cache.Output}");
    }

    /// <summary>kubectl with another identity's kubeconfig; the exit code and both outputs, for tests that expect refusals.</summary>
    public Task<(int ExitCode, string Output, string Error)> KubectlAsAsync(string kubeconfig, params string[] arguments) =>
        ExternalTool.RunAsync("kubectl", arguments.Concat(["--kubeconfig", kubeconfig, "--cache-dir", Scratch("kubectl-cache")]));

    public JsonObject? Get(string apiVersion, string kind, string ns, string name) => Kube.Get(apiVersion, kind, ns, name);

    public WasmeProcess Track(WasmeProcess process)
    {
        _processes.Add(process);
        return process;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        if (Kube is not null)
        {
            await Kube.DisposeAsync();
        }

        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Read-only module files or a process still closing; the OS temp cleaner takes the rest.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Wasme.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Wasme.slnx not found above the test directory");
    }
}
