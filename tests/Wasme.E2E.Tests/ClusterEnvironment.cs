using System.Text.Json.Nodes;
using Wasme.Testing.Filters;
using Wasme.Testing.Kubernetes;
using Wasme.Testing.Registry;

namespace Wasme.E2E.Tests;

/// <summary>
/// A "cluster" made of real parts where they can run here: a docker-registry process, the Kubernetes API
/// test server with Istio's CRDs and ours, and the real <c>wasme operator</c> and <c>wasme cache</c>
/// processes pointed at it. The filter image is built from the AssemblyScript template and pushed once.
/// </summary>
public sealed class ClusterEnvironment : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("wasme-e2e-").FullName;
    private readonly List<WasmeProcess> _processes = [];

    public DockerRegistryProcess Registry { get; private set; } = null!;

    public KubernetesTestServer Kube { get; private set; } = null!;

    public int CachePort { get; } = WasmeProcess.FreePort();

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

    public string Scratch(string name) => Path.Combine(_root, name);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "home"));
        Directory.CreateDirectory(CacheDirectory);

        var filter = await new AssemblyScriptFilters().BuildAsync(AssemblyScriptFilters.AddHeaderSource);
        Registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);
        Kube = await KubernetesTestServer.StartAsync();
        await Kube.InstallIstioCrdsAsync();
        Kube.ApplyYaml(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "deploy", "crds", "filterdeployments.wasme.io.yaml")));
        Kube.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");

        // The author's half: the template's module becomes an image in the local store, then in the registry.
        var runtimeConfig = Scratch("runtime-config.json");
        await File.WriteAllBytesAsync(runtimeConfig, filter.Config.ToJsonBytes());
        await RunWasmeAsync("build", "precompiled", filter.ModulePath, "-t", Image, "--config", runtimeConfig);
        await RunWasmeAsync("push", Image);

        Cache = Track(WasmeProcess.Start("wasme cache", Environment,
            "cache", "--kubeconfig", Kube.KubeconfigPath, "--namespace", "wasme", "--node-name", "node-1",
            "--directory", CacheDirectory, "--listen", $"http://127.0.0.1:{CachePort}"));
        Operator = Track(WasmeProcess.Start("wasme operator", Environment,
            "operator", "--kubeconfig", Kube.KubeconfigPath,
            "--cache-service-url", $"http://127.0.0.1:{CachePort}",
            "--health-address", $"127.0.0.1:{WasmeProcess.FreePort()}",
            "--metrics-address", $"127.0.0.1:{WasmeProcess.FreePort()}"));
        await Cache.WaitForPortAsync(CachePort, TimeSpan.FromSeconds(60));
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
