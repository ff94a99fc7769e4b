using System.Net;
using Wasme.Testing.Filters;

namespace Wasme.E2E.Tests;

/// <summary>
/// Issue 18: a platform team signs in CI and enforces in the cluster. A signed image with
/// <c>spec.filter.verification</c> enforced is applied and served; the same module re-pushed unsigned under another
/// tag is refused by the operator (what was applied stays), and an unsigned module is never fetched nor served by the cache.
/// </summary>
public sealed class SignedFilterEndToEndTests(ClusterEnvironment cluster) : IClassFixture<ClusterEnvironment>
{
    private const string Namespace = "e2e-signed";
    private const string Password = "e2e-password";

    [Fact]
    public async Task A_signed_image_runs_and_unsigned_images_are_refused_by_the_operator_and_never_served_by_the_cache()
    {
        var environment = new Dictionary<string, string>(cluster.Environment) { ["COSIGN_PASSWORD"] = Password };
        var prefix = cluster.Scratch("e2e-signing");
        await Run(environment, "generate-key-pair", "--output-key-prefix", prefix);
        var signed = $"{cluster.Registry.Host}/e2e/signed-filter:v1";
        await cluster.RunWasmeAsync("tag", cluster.Image, signed);
        await cluster.RunWasmeAsync("push", signed);
        await Run(environment, "sign", signed, "--key", $"{prefix}.key");
        // The same module under another tag, pushed again in the other layout: a new manifest digest nobody signed.
        var repushed = $"{cluster.Registry.Host}/e2e/signed-filter:v2-unsigned";
        await cluster.RunWasmeAsync("tag", cluster.Image, repushed);
        await cluster.RunWasmeAsync("push", repushed, "--format", "compat");
        // And a module the cache has never held, unsigned.
        var other = await UnsignedOtherModuleAsync();

        var manifests = cluster.Scratch($"{Namespace}.yaml");
        var publicKey = string.Join("\n", (await File.ReadAllTextAsync($"{prefix}.pub")).TrimEnd().Split('\n').Select(l => $"          {l}"));
        await File.WriteAllTextAsync(manifests, $$"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {{Namespace}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: details-v1
              namespace: {{Namespace}}
              labels:
                app: details
            spec:
              selector:
                matchLabels:
                  app: details
              template:
                metadata:
                  labels:
                    app: details
                spec:
                  containers:
                  - name: details
                    image: docker.io/istio/examples-bookinfo-details-v1:1.16.2
            ---
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata:
              name: signed
              namespace: {{Namespace}}
            spec:
              deployment:
                istio:
                  kind: Deployment
                  labels:
                    app: details
              filter:
                image: {{signed}}
                config: world
                verification:
                  policy: Enforce
                  publicKeys:
                  - |
            {{publicKey}}
            ---
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata:
              name: never-signed
              namespace: {{Namespace}}
            spec:
              deployment:
                istio:
                  kind: Deployment
                  labels:
                    app: details
              filter:
                id: never-signed
                image: {{other.Reference}}
                config: world
                verification:
                  publicKeys:
                  - |
            {{publicKey}}
            """);
        await cluster.KubectlAsync("apply", "-f", manifests);

        await cluster.KubectlAsync("wait", "filterdeployment/signed", "-n", Namespace, "--for=condition=Ready", "--timeout=90s");
        var signedDigest = await cluster.KubectlAsync("get", "filterdeployment/signed", "-n", Namespace, "-o", "jsonpath={.status.imageDigest}");
        var module = await cluster.KubectlAsync("get", "filterdeployment/signed", "-n", Namespace, "-o", "jsonpath={.status.moduleSha256}");
        await EventuallyServedAsync(module);
        var envoyFilter = await cluster.KubectlAsync("get", "envoyfilter", "details-v1-signed.e2e-signed", "-n", Namespace, "-o", "jsonpath={.spec}");
        await cluster.KubectlAsync("wait", "filterdeployment/never-signed", "-n", Namespace, "--for=condition=Verified=false", "--timeout=90s");
        Assert.Equal("NoSignature", await cluster.KubectlAsync("get", "filterdeployment/never-signed", "-n", Namespace, "-o", "jsonpath={.status.conditions[?(@.type==\"Verified\")].reason}"));

        await cluster.KubectlAsync("patch", "filterdeployment/signed", "-n", Namespace, "--type=merge", "-p", "{\"spec\":{\"filter\":{\"image\":\"" + repushed + "\"}}}");

        await cluster.KubectlAsync("wait", "filterdeployment/signed", "-n", Namespace, "--for=condition=Verified=false", "--timeout=90s");
        var message = await cluster.KubectlAsync("get", "filterdeployment/signed", "-n", Namespace, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}");
        Assert.Contains("NoSignature", message, StringComparison.Ordinal);
        Assert.Equal(signedDigest, await cluster.KubectlAsync("get", "filterdeployment/signed", "-n", Namespace, "-o", "jsonpath={.status.imageDigest}"));
        Assert.Equal(envoyFilter, await cluster.KubectlAsync("get", "envoyfilter", "details-v1-signed.e2e-signed", "-n", Namespace, "-o", "jsonpath={.spec}"));
        var events = await cluster.KubectlAsync("get", "events", "-n", Namespace, "--field-selector", "involvedObject.name=signed", "-o", "jsonpath={.items[*].reason}");
        Assert.Contains("VerificationFailed", events, StringComparison.Ordinal);

        // The unsigned module: no EnvoyFilter points at it, the cache neither fetched nor serves it.
        Assert.Equal(string.Empty, await cluster.KubectlAsync("get", "filterdeployment/never-signed", "-n", Namespace, "-o", "jsonpath={.status.moduleSha256}"));
        Assert.DoesNotContain("never-signed", await cluster.KubectlAsync("get", "envoyfilters", "-n", Namespace, "-o", "name"), StringComparison.Ordinal);
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{cluster.CachePort}/sha256/{other.ModuleSha256}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(other.ModuleSha256, cluster.Cache.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("v2-unsigned", cluster.Cache.Output, StringComparison.Ordinal);

        // The namespace goes first in the file, and its contents with it: what follows may already be gone.
        await cluster.KubectlAsync("delete", "-f", manifests, "--ignore-not-found", "--wait=true", "--timeout=90s");
    }

    private static async Task Run(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var (code, output) = await WasmeProcess.RunAsync(environment, arguments);
        Assert.True(code == 0, $"wasme {string.Join(' ', arguments)} exited {code}:\n{output}");
    }

    // The add-header module with a custom section appended: valid, different bytes, a sha256 nobody holds.
    private async Task<(string Reference, string ModuleSha256)> UnsignedOtherModuleAsync()
    {
        var filter = await new AssemblyScriptFilters().BuildAsync(AssemblyScriptFilters.AddHeaderSource);
        byte[] name = "e2e-unsigned"u8.ToArray();
        byte[] section = [0, (byte)(name.Length + 1), (byte)name.Length, .. name];
        var modulePath = cluster.Scratch("unsigned-other.wasm");
        await File.WriteAllBytesAsync(modulePath, [.. filter.Module, .. section]);
        var config = cluster.Scratch("unsigned-other-config.json");
        await File.WriteAllBytesAsync(config, filter.Config.ToJsonBytes());
        var reference = $"{cluster.Registry.Host}/e2e/never-signed:v1";
        await cluster.RunWasmeAsync("build", "precompiled", modulePath, "-t", reference, "--config", config);
        await cluster.RunWasmeAsync("push", reference);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(modulePath)));
        return (reference, sha);
    }

    private async Task EventuallyServedAsync(string module)
    {
        using var http = new HttpClient();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{cluster.CachePort}/sha256/{module}"));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"the cache never served sha256:{module}\n--- cache ---\n{cluster.Cache.Output}");
    }
}
