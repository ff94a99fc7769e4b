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

        var config = await ClusterConfig.LoadAsync(environment, kubeconfig: null, preferInCluster: false, CancellationToken.None);

        Assert.Equal(server.Url.ToString().TrimEnd('/'), config.Host.TrimEnd('/'));
    }

    [Fact]
    public async Task Nothing_found_names_every_place_tried_and_the_flag()
    {
        var error = await Assert.ThrowsAsync<ClusterConfigException>(() => ClusterConfig.LoadAsync(Environment(), kubeconfig: null, preferInCluster: false, CancellationToken.None));

        Assert.Contains("$KUBECONFIG (not set)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{Path.Combine(_home.FullName, ".kube", "config")} (no such file)", error.Message, StringComparison.Ordinal);
        Assert.Contains("in-cluster service account", error.Message, StringComparison.Ordinal);
        Assert.Contains("--kubeconfig FILE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kubeconfig_that_is_not_one_says_which_file_and_why()
    {
        var broken = Path.Combine(_home.FullName, "broken.yaml");
        await File.WriteAllTextAsync(broken, "clusters: [unterminated");

        var error = await Assert.ThrowsAsync<ClusterConfigException>(() => ClusterConfig.LoadAsync(Environment(), broken, preferInCluster: false, CancellationToken.None));

        Assert.StartsWith($"kubeconfig {broken} (--kubeconfig) cannot be used:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Paths_in_a_kubeconfig_are_relative_to_it_as_when_kubernetes_client_opens_it()
    {
        await using var server = await KubernetesTestServer.StartAsync();
        var moved = Directory.CreateDirectory(Path.Combine(_home.FullName, "elsewhere"));
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var ca = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test-ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(moved.FullName, "ca.crt"), ca.ExportCertificatePem());
        var kubeconfig = Path.Combine(moved.FullName, "config");
        await File.WriteAllTextAsync(kubeconfig, $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "{{{server.Url}}}", certificate-authority: ca.crt}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """);

        var config = await ClusterConfig.LoadAsync(Environment(), kubeconfig, preferInCluster: false, CancellationToken.None);

        Assert.Equal(ca.Thumbprint, Assert.Single(config.SslCaCerts!).Thumbprint);
    }

    [Theory]
    [InlineData("cluster", "certificate-authority")]
    [InlineData("user", "client-certificate")]
    [InlineData("user", "client-key")]
    public async Task A_file_the_kubeconfig_names_that_never_ends_is_refused_at_the_bound_naming_it(string section, string field)
    {
        // KubernetesClient reads these files whole: a link to /dev/zero used to grow the process until memory ran out.
        var zero = Path.Combine(_home.FullName, "endless.pem");
        File.CreateSymbolicLink(zero, "/dev/zero");
        var kubeconfig = Path.Combine(_home.FullName, "config");
        var cluster = section == "cluster" ? $"{field}: endless.pem" : "insecure-skip-tls-verify: true";
        var user = section == "user" ? $"{field}: endless.pem" : "token: t";
        await File.WriteAllTextAsync(kubeconfig, $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", {{{cluster}}}}}]
            users: [{name: u, user: {{{{user}}}}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """);

        var error = await Assert.ThrowsAsync<ClusterConfigException>(() => ClusterConfig.LoadAsync(Environment(), kubeconfig, preferInCluster: false, CancellationToken.None));

        Assert.Contains($"its {field} {zero} is larger than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_certificate_file_names_the_kubeconfig_field_and_the_path()
    {
        var kubeconfig = Path.Combine(_home.FullName, "config");
        await File.WriteAllTextAsync(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority: missing/ca.crt}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """);

        var error = await Assert.ThrowsAsync<ClusterConfigException>(() => ClusterConfig.LoadAsync(Environment(), kubeconfig, preferInCluster: false, CancellationToken.None));

        Assert.Contains($"its certificate-authority {Path.Combine(_home.FullName, "missing", "ca.crt")} does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Waiting_for_a_kubeconfig_fifo_with_no_writer_ends_when_cancelled()
    {
        // KUBECONFIG=<(...) whose writer never comes: the open blocks, and Ctrl-C must still end the command.
        var fifo = Path.Combine(_home.FullName, "kubeconfig");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync(CancellationToken.None);
        }

        using var cancellation = new CancellationTokenSource();
        var load = ClusterConfig.LoadAsync(Environment(("KUBECONFIG", fifo)), kubeconfig: null, preferInCluster: false, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => load);
        await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
    }

    [Fact]
    public async Task A_kubeconfig_flag_naming_no_file_is_a_missing_file()
    {
        var missing = Path.Combine(_home.FullName, "missing.yaml");

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => ClusterConfig.LoadAsync(Environment(), missing, preferInCluster: false, CancellationToken.None));

        Assert.Equal($"kubeconfig {missing} (--kubeconfig) does not exist; give the path of a kubeconfig file", error.Message);
    }

    private Func<string, string?> Environment(params (string Name, string Value)[] variables)
    {
        var values = variables.ToDictionary(v => v.Name, v => v.Value);
        values["HOME"] = _home.FullName;
        return name => values.GetValueOrDefault(name);
    }
}
