namespace Wasme.Cli.Tests.Istio;

public sealed class RenderCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wasme-render-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Render_of_the_seed_prints_the_seed_EnvoyFilter_golden_file()
    {
        var dir = IstioCli.GoldenCase("seed-envoyfilter-istio-1.5");
        var cli = IstioCli.Create();
        var code = await cli.RunAsync(
            ["render", "-f", Path.Combine(dir, "filterdeployment.yaml"), "--workloads", Path.Combine(dir, "workloads.yaml"), "--istio-version", "1.5.1", .. IstioCli.SeedFacts]);

        Assert.True(code == 0, cli.Error.Output);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "expected.yaml")), cli.Out.Output);
    }

    [Fact]
    public async Task Render_twice_is_byte_identical()
    {
        var dir = IstioCli.GoldenCase("remote-outbound-istio-1.12-json-config");
        string[] args = ["render", "-f", Path.Combine(dir, "filterdeployment.yaml"), "--workloads", Path.Combine(dir, "workloads.yaml"), "--istio-version", "1.12", .. IstioCli.SeedFacts];
        var cli = IstioCli.Create();
        Assert.Equal(0, await cli.RunAsync(args));
        var first = cli.Out.Output;
        Assert.Equal(0, await cli.RunAsync(args));
        Assert.Equal(first, cli.Out.Output);
        Assert.Contains("kind: EnvoyFilter", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_that_never_ends_is_refused_at_the_bound_instead_of_running_out_of_memory()
    {
        // /dev/zero reports length 0 and never ends: read whole, it took all the memory and ended in a stack trace.
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", "/dev/zero", .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("-f: /dev/zero is larger than 16 MiB; pass the file itself", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workloads_that_never_end_or_a_directory_are_refused_naming_the_flag()
    {
        var dir = IstioCli.GoldenCase("seed-envoyfilter-istio-1.5");
        var cli = IstioCli.Create();

        var endless = await cli.RunAsync(["render", "-f", Path.Combine(dir, "filterdeployment.yaml"), "--workloads", "/dev/zero", .. IstioCli.SeedFacts]);
        var endlessError = cli.Error.Output;
        var directory = await cli.RunAsync(["render", "-f", _dir, .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, endless);
        Assert.Contains("--workloads: /dev/zero is larger than 16 MiB", endlessError, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, directory);
        Assert.Contains($"-f: {_dir} is a directory; pass the file itself", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_facts_that_never_end_are_refused_naming_the_flag()
    {
        var dir = IstioCli.GoldenCase("seed-envoyfilter-istio-1.5");
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", Path.Combine(dir, "filterdeployment.yaml"), "--workloads", Path.Combine(dir, "workloads.yaml"), "--image-facts", "/dev/zero"]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--image-facts: /dev/zero is larger than 16 MiB", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_file_prints_every_problem_and_exits_2()
    {
        var file = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(file, """
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata:
              name: broken
              namespace: bookinfo
            spec:
              deployment:
                istio:
                  kind: ReplicaSet
                  delivery: Carrier
              filter:
                config: [1, 2]
            """);
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", file, .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Empty(cli.Out.Output);
        foreach (var path in new[] { "spec.filter.image", "spec.filter.config", "spec.deployment.istio.kind", "spec.deployment.istio.delivery" })
        {
            Assert.Contains(path, cli.Error.Output, StringComparison.Ordinal);
        }

        Assert.Contains("fix: use one of: Deployment, DaemonSet, StatefulSet", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Half_of_the_offline_facts_is_a_usage_error_naming_the_missing_option()
    {
        var dir = IstioCli.GoldenCase("seed-filterdeployment-remote");
        var cli = IstioCli.Create();
        var code = await cli.RunAsync("render", "-f", Path.Combine(dir, "filterdeployment.yaml"), "--module-sha256", new string('a', 64));
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--manifest-digest", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_image_built_for_a_newer_Istio_is_refused_with_the_fix()
    {
        var dir = IstioCli.GoldenCase("seed-filterdeployment-remote");
        var cli = IstioCli.Create();
        var code = await cli.RunAsync(
            "render", "-f", Path.Combine(dir, "filterdeployment.yaml"), "--istio-version", "1.6",
            "--module-sha256", new string('a', 64), "--manifest-digest", "sha256:" + new string('b', 64), "--abi-version", "0.2.1");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--ignore-version-check", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_FilterDeployment_file_holding_a_list_is_a_usage_error_not_a_crash()
    {
        var fd = Path.Combine(_dir, "fd.yaml");
        File.WriteAllText(fd, "- a\n- b\n");
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", fd, .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Empty(cli.Out.Output);
        Assert.DoesNotContain("   at ", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("the document is a list, not a Kubernetes object", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workloads_file_with_a_numeric_name_is_a_usage_error_naming_the_field()
    {
        var dir = IstioCli.GoldenCase("seed-filterdeployment-remote");
        var workloads = Path.Combine(_dir, "workloads.yaml");
        File.WriteAllText(workloads, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: 123, namespace: bookinfo}\n");
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", Path.Combine(dir, "filterdeployment.yaml"), "--workloads", workloads, .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Empty(cli.Out.Output);
        Assert.DoesNotContain("   at ", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("metadata.name is a number", cli.Error.Output, StringComparison.Ordinal);
    }

    private const string DetailsWorkload = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: details-v1, namespace: bookinfo, labels: {app: details}}
        spec:
          selector: {matchLabels: {app: details}}
          template:
            metadata: {labels: {app: details}, annotations: {team: reviews}}
            spec: {containers: [{name: details, image: details}]}
        """;

    private static string HostPathFilter(string name, string? id = null) =>
        "apiVersion: wasme.io/v1\nkind: FilterDeployment\n" +
        $"metadata: {{name: {name}, namespace: bookinfo}}\n" +
        "spec:\n  deployment: {istio: {labels: {app: details}, delivery: HostPath}}\n" +
        $"  filter: {{{(id is null ? string.Empty : $"id: {id}, ")}image: webassemblyhub.io/ceposta/demo-add-header:v0.2, config: '{name}'}}\n";

    [Fact]
    public async Task Two_HostPath_FilterDeployments_on_one_workload_print_it_once_with_both_filters()
    {
        var fd = Path.Combine(_dir, "fd.yaml");
        File.WriteAllText(fd, HostPathFilter("one") + "\n---\n" + HostPathFilter("two"));
        var workloads = Path.Combine(_dir, "workloads.yaml");
        File.WriteAllText(workloads, DetailsWorkload);
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", fd, "--workloads", workloads, .. IstioCli.SeedFacts]);

        Assert.True(code == 0, cli.Error.Output);
        var documents = Wasme.Istio.Yaml.YamlJson.ReadDocuments(cli.Out.Output);
        Assert.Equal(["EnvoyFilter", "EnvoyFilter", "Deployment"], documents.Select(d => (string?)d["kind"]));
        var annotations = documents[2]["spec"]!["template"]!["metadata"]!["annotations"]!;
        Assert.Equal("one.bookinfo,two.bookinfo", (string?)annotations["wasme.io/hostpath-filters"]);
        Assert.Equal("reviews", (string?)annotations["team"]);
    }

    [Fact]
    public async Task Two_FilterDeployments_that_would_write_the_same_object_are_refused_naming_both()
    {
        var fd = Path.Combine(_dir, "fd.yaml");
        File.WriteAllText(fd, HostPathFilter("one", id: "shared") + "\n---\n" + HostPathFilter("two", id: "shared"));
        var workloads = Path.Combine(_dir, "workloads.yaml");
        File.WriteAllText(workloads, DetailsWorkload);
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", fd, "--workloads", workloads, .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Empty(cli.Out.Output);
        Assert.Contains("EnvoyFilter bookinfo/details-v1-shared is also generated by FilterDeployment one", cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("its own spec.filter.id", cli.Error.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{istio: {labels: {app: details}, delivery: HostPath}}", "HostPath delivery adds volume annotations")]
    [InlineData("{istio: {kind: StatefulSet}}", "selects every StatefulSet in namespace bookinfo")]
    public async Task Without_workloads_render_refuses_what_it_would_have_to_guess(string target, string reason)
    {
        var fd = Path.Combine(_dir, "fd.yaml");
        File.WriteAllText(fd, $$"""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {{target}}
              filter: {image: webassemblyhub.io/ceposta/demo-add-header:v0.2}
            """);
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", fd, .. IstioCli.SeedFacts]);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Empty(cli.Out.Output);
        Assert.Contains(reason, cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("--workloads", cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_reads_plain_config_values_as_kubectl_sends_them_to_the_operator()
    {
        var fd = Path.Combine(_dir, "fd.yaml");
        File.WriteAllText(fd, """
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {labels: {app: details}}}
              filter:
                image: webassemblyhub.io/ceposta/demo-add-header:v0.2
                config: {enabled: yes, mask: 0x1F, limit: '1_000'}
            """);
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", fd, .. IstioCli.SeedFacts]);

        Assert.True(code == 0, cli.Error.Output);
        // kubectl apply stores {"enabled":true,"mask":31,"limit":"1_000"}; the operator passes that JSON text on.
        Assert.Contains("""value: '{"enabled":true,"mask":31,"limit":"1_000"}'""", cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_WasmPlugin_config_string_kubectl_would_read_as_a_number_is_quoted()
    {
        var fd = Path.Combine(_dir, "fd.yaml");
        File.WriteAllText(fd, """
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {labels: {app: details}, delivery: WasmPlugin}}
              filter:
                image: webassemblyhub.io/ceposta/demo-add-header:v0.2
                config: {limit: '1_000', flags: '0b11'}
            """);
        var cli = IstioCli.Create();

        var code = await cli.RunAsync(["render", "-f", fd, .. IstioCli.SeedFacts]);

        Assert.True(code == 0, cli.Error.Output);
        Assert.Contains("limit: '1_000'", cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("flags: '0b11'", cli.Out.Output, StringComparison.Ordinal);
    }
}
