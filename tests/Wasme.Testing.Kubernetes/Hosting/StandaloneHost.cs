using System.Globalization;

namespace Wasme.Testing.Kubernetes.Hosting;

/// <summary>
/// Standalone mode: <c>dotnet run --project tests/Wasme.Testing.Kubernetes -- --port 6443 --kubeconfig /tmp/kc [--istio-crds PATH]</c>
/// serves until Ctrl+C, so anyone can point kubectl at it by hand.
/// </summary>
internal static class StandaloneHost
{
    private const string Usage = "usage: Wasme.Testing.Kubernetes [--port N] [--kubeconfig PATH] [--istio-crds PATH|auto] [--auto-create-namespaces]";

    /// <summary>Parses <paramref name="args"/>, serves until <paramref name="stop"/> fires, returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Action<KubernetesTestServer>? started, CancellationToken stop)
    {
        var port = 6443;
        var kubeconfig = Path.Combine(Directory.GetCurrentDirectory(), "kubeconfig");
        string? istio = null;
        var autoCreate = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--port":
                        port = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    case "--kubeconfig":
                        kubeconfig = Value();
                        break;
                    case "--istio-crds":
                        istio = Value();
                        break;
                    case "--auto-create-namespaces":
                        autoCreate = true;
                        break;
                    case "-h" or "--help":
                        await output.WriteLineAsync(Usage);
                        return 0;
                    default:
                        throw new ArgumentException($"unknown option '{args[i]}'");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                await error.WriteLineAsync($"error: {e.Message}\n{Usage}");
                return 2;
            }
        }

        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            Port = port,
            KubeconfigPath = kubeconfig,
            AutoCreateNamespaces = autoCreate,
        }, stop);
        if (istio is not null)
        {
            var installed = await server.InstallIstioCrdsAsync(istio == "auto" ? null : istio, stop);
            await output.WriteLineAsync($"installed {installed.Count} Istio CRDs");
        }

        await output.WriteLineAsync($"Kubernetes test API server on {server.Url}");
        await output.WriteLineAsync($"export KUBECONFIG={Path.GetFullPath(kubeconfig)}");
        started?.Invoke(server);
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }
}
