using Wasme.Testing.Registry;

namespace Wasme.Cache.Tests.Support;

/// <summary>One real docker-registry per test class.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public DockerRegistryProcess Registry { get; private set; } = null!;

    public async Task InitializeAsync() => Registry = await DockerRegistryProcess.StartAsync();

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}
