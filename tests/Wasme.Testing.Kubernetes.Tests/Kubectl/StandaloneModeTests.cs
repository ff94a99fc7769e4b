using Wasme.Testing.Kubernetes.Hosting;
using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>Standalone mode (what <c>dotnet run --project tests/Wasme.Testing.Kubernetes</c> runs), driven by kubectl.</summary>
public sealed class StandaloneModeTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-standalone-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task Standalone_WritesAKubeconfigThatKubectlUses_WithIstioInstalled()
    {
        var kubeconfig = Path.Combine(_directory.FullName, "kc");
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        var started = new TaskCompletionSource<KubernetesTestServer>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = StandaloneHost.RunAsync(["--port", "0", "--kubeconfig", kubeconfig, "--istio-crds", "auto"], output, TextWriter.Null, s => started.TrySetResult(s), stop.Token);

        var first = await Task.WhenAny(started.Task, run).WithinLimit();
        Assert.True(first == started.Task, $"standalone mode exited early: {output}");
        var server = await started.Task;
        var kubectl = new KubectlRunner(server);
        var crd = await kubectl.SucceedAsync("get", "crd", "envoyfilters.networking.istio.io", "-o", "name");
        await stop.CancelAsync();

        Assert.Equal(0, await run.WithinLimit());
        Assert.Equal("customresourcedefinition.apiextensions.k8s.io/envoyfilters.networking.istio.io", crd.Trim());
        Assert.Equal(kubeconfig, server.KubeconfigPath);
        Assert.Contains($"export KUBECONFIG={kubeconfig}", output.ToString());
        Assert.Contains("installed 15 Istio CRDs", output.ToString());
    }

    [Fact]
    public async Task Standalone_UnknownOption_IsAUsageError()
    {
        using var error = new StringWriter();

        var exitCode = await StandaloneHost.RunAsync(["--prot", "1"], TextWriter.Null, error, started: null, CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown option '--prot'", error.ToString());
    }
}
