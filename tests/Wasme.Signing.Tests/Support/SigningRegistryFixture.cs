using System.Text;
using System.Text.Json;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Testing.Registry;

namespace Wasme.Signing.Tests.Support;

/// <summary>One real anonymous docker-registry for a test class, and a client for it.</summary>
public sealed class SigningRegistryFixture : IAsyncLifetime
{
    public DockerRegistryProcess Registry { get; private set; } = null!;

    public RegistryClient Client { get; } = new(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);

    public async Task InitializeAsync() => Registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Registry.DisposeAsync();
    }

    /// <summary>Pushes a small wasme-layout image under <paramref name="repositoryAndTag"/> and returns its reference and digest.</summary>
    public async Task<(ImageReference Reference, Digest Digest)> PushImageAsync(string repositoryAndTag, byte seed = 1)
    {
        var reference = ImageReference.Parse($"{Registry.Host}/{repositoryAndTag}");
        var module = TestWasmModule.Create(300, seed);
        var config = Encoding.UTF8.GetBytes("{\"type\":\"envoy_proxy\",\"abiVersions\":[\"v0.2.1\"],\"rootIds\":[\"root\"]}");
        var configDescriptor = Descriptor.For(MediaTypes.WasmeConfig, config);
        var moduleDescriptor = Descriptor.For(MediaTypes.WasmeModuleLayer, module);
        await Client.PushBlobAsync(reference, configDescriptor.GetDigest(), config);
        await Client.PushBlobAsync(reference, moduleDescriptor.GetDigest(), module);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(
            new ImageManifest { MediaType = MediaTypes.OciManifest, Config = configDescriptor, Layers = [configDescriptor, moduleDescriptor] },
            OciJsonContext.Written.ImageManifest);
        var digest = await Client.PushManifestAsync(reference, MediaTypes.OciManifest, manifest);
        return (reference, digest);
    }
}
