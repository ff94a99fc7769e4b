namespace Wasme.E2E.Tests;

/// <summary><c>wasme run --mount</c> mistakes end with an exit code and a message that names the fix, before listening.</summary>
public sealed class RunMountTests
{
    private const string HostPathEnvoyFilter = """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: details-v1-hello, namespace: bookinfo}
        spec:
          configPatches:
          - applyTo: HTTP_FILTER
            patch:
              operation: INSERT_BEFORE
              value:
                name: envoy.filters.http.wasm
                typed_config:
                  '@type': type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                  config:
                    name: hello
                    root_id: add_header
                    vm_config:
                      vm_id: hello
                      code: {local: {filename: /var/local/lib/wasme-cache/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}}
        """;

    [Theory]
    [InlineData("no-colon", 2, "is not HOST_DIR:CONTAINER_DIR")]
    [InlineData("{dir}:relative/path", 2, "must be an absolute path")]
    [InlineData("/does/not/exist:/var/local/lib/wasme-cache", 2, "host directory /does/not/exist does not exist")]
    [InlineData("{dir}:/etc/wasm", 3, "is outside every --mount (/etc/wasm); add --mount HOST_DIR:CONTAINER_DIR")]
    [InlineData("{dir}:/var/local/lib/wasme-cache", 3, "(mounted at {dir}/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef) does not exist")]
    public async Task Refuses_a_bad_mount_or_a_file_it_cannot_see(string mount, int exitCode, string message)
    {
        var dir = Directory.CreateTempSubdirectory("wasme-run-mount-").FullName;
        try
        {
            var resource = Path.Combine(dir, "envoyfilter.yaml");
            await File.WriteAllTextAsync(resource, HostPathEnvoyFilter);

            var (code, output) = await WasmeProcess.RunAsync(null,
                "run", "--envoy-filter", resource, "--mount", mount.Replace("{dir}", dir, StringComparison.Ordinal), "--echo-upstream", "--listen", "127.0.0.1:0");

            Assert.True(code == exitCode, $"exit {code}:\n{output}");
            Assert.Contains(message.Replace("{dir}", dir, StringComparison.Ordinal), output.ReplaceLineEndings(" "), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
