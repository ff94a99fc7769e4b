using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>One real anonymous docker-registry shared by a test class.</summary>
public sealed class AnonymousRegistryFixture : IAsyncLifetime
{
    public DockerRegistryProcess Registry { get; private set; } = null!;

    public async Task InitializeAsync() => Registry = await DockerRegistryProcess.StartAsync(RegistryAuthMode.Anonymous);

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}
