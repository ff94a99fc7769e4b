using System.Diagnostics;

namespace Wasme.Testing.Kubernetes.Tests.Support;

/// <summary>Runs the real kubectl against a test server, with its own discovery cache so tests do not share state.</summary>
internal sealed class KubectlRunner
{
    private const string Executable = "kubectl";
    private readonly KubernetesTestServer _server;
    private readonly string _cacheDirectory;
    private readonly string _kubeconfig;

    /// <param name="server">The server kubectl talks to.</param>
    /// <param name="kubeconfig">Another identity's kubeconfig (e.g. a ServiceAccount's); the admin's by default.</param>
    public KubectlRunner(KubernetesTestServer server, string? kubeconfig = null)
    {
        _server = server;
        _kubeconfig = kubeconfig ?? server.KubeconfigPath;
        _cacheDirectory = Path.Combine(Path.GetDirectoryName(server.KubeconfigPath)!, "kubectl-cache");
    }

    public string WorkDirectory => Path.GetDirectoryName(_server.KubeconfigPath)!;

    /// <summary>Writes a manifest next to the kubeconfig and returns its path.</summary>
    public string WriteManifest(string name, string yaml)
    {
        var path = Path.Combine(WorkDirectory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(_kubeconfig);
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(_cacheDirectory);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
    }

    public async Task<KubectlResult> RunAsync(params string[] args)
    {
        using var process = Start(args);
        // A safety net against a hung kubectl, not a timing assertion.
        using var timeout = new CancellationTokenSource(Safety.Limit);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs kubectl and fails the test, showing its output, when it exits non-zero.</summary>
    public async Task<string> SucceedAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} exited {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        return result.Stdout;
    }
}

internal sealed record KubectlResult(int ExitCode, string Stdout, string Stderr);
