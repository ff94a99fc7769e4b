using Wasme.Oci;
using Wasme.Oci.Formats;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Operator.Tests.Support;

/// <summary>A real docker-registry (anonymous) shared by a test class, with images pushed by Wasme.Oci's client.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    private DockerRegistryProcess? _registry;

    public string Host => _registry!.Host;

    public async Task InitializeAsync() => _registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }

    /// <summary>Pushes a small valid Proxy-Wasm module (in the layout <c>wasme push --format</c> writes) as <c>HOST/repository:tag</c>; returns the manifest digest and module sha256.</summary>
    public async Task<PushedImage> PushAsync(string repositoryAndTag, byte seed = 0, string rootId = "add_header", WasmImageFormat format = WasmImageFormat.Wasme)
    {
        var module = TestWasmModule.Create(512, seed);
        var packed = ImagePacker.Pack(module, RuntimeConfig.Create(["0.2.1"], [rootId]), format);
        using var client = new RegistryClient(new RegistryClientOptions { PlainHttp = true }, AnonymousCredentialProvider.Instance);
        var reference = ImageReference.Parse($"{Host}/{repositoryAndTag}");
        var result = await new ImagePusher(client).PushAsync(packed, reference);
        return new PushedImage(reference.ToString(), result.ManifestDigest.ToString(), Digest.Compute(module).Hex);
    }
}

public sealed record PushedImage(string Reference, string ManifestDigest, string ModuleSha256);
