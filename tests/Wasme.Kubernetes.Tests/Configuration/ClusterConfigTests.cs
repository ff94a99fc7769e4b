using Wasme.Kubernetes.Configuration;
using Wasme.Testing.Kubernetes;

namespace Wasme.Kubernetes.Tests.Configuration;

/// <summary>Kubeconfig loading in kubectl's order, with messages that name what was tried (the CLI prints them as they are).</summary>
public sealed class ClusterConfigTests : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("wasme-kubeconfig-");

    public void Dispose() => _home.Delete(recursive: true);

    [Fact]
    public async Task The_first_existing_file_of_KUBECONFIG_is_used()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var missing = Path.Combine(_home.FullName, "missing.yaml");
        var environment = Environment(("KUBECONFIG", $"{missing}{Path.PathSeparator}{server.KubeconfigPath}"));

        var config = ClusterConfig.Load(environment, kubeconfig: null, preferInCluster: false);

        Assert.Equal(server.Url.ToString().TrimEnd('/'), config.Host.TrimEnd('/'));
    }

    [Fact]
    public void Nothing_found_names_every_place_tried_and_the_flag()
    {
        var error = Assert.Throws<ClusterConfigException>(() => ClusterConfig.Load(Environment(), kubeconfig: null, preferInCluster: false));

        Assert.Contains("$KUBECONFIG (not set)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(_home.FullName, ".kube", "config")} (no such file)", error.Message, StringComparison.Ordinal);
        Assert.Contains("in-cluster service account", error.Message, StringComparison.Ordinal);
        Assert.Contains("--kubeconfig FILE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kubeconfig_that_is_not_one_says_which_file_and_why()
    {
        var broken = Path.Combine(_home.FullName, "broken.yaml");
        File.WriteAllText(broken, "clusters: [unterminated");

        var error = Assert.Throws<ClusterConfigException>(() => ClusterConfig.Load(Environment(), broken, preferInCluster: false));

        Assert.StartsWith($"kubeconfig {broken} (--kubeconfig) cannot be used:", error.Message, StringComparison.Ordinal);
    }

    private Func<string, string?> Environment(params (string Name, string Value)[] variables)
    {
        var values = variables.ToDictionary(v => v.Name, v => v.Value);
        values["HOME"] = _home.FullName;
        return name => values.GetValueOrDefault(name);
    }
}
