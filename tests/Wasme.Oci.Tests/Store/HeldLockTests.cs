using Microsoft.Extensions.Time.Testing;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Store;

/// <summary>
/// A lock whose holder never lets go (a wasme stopped with Ctrl-Z, or hung): every command on the same store or Docker
/// config used to wait for it forever without a word; now it fails after the longest wait, naming the lock file.
/// </summary>
public sealed class HeldLockTests : IDisposable
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["root"]);
    private static readonly ImageReference Reference = ImageReference.Parse("example.com/team/filter:v1");
    private static readonly ImageReference Other = ImageReference.Parse("example.com/team/filter:v2");
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task A_store_lock_held_past_the_longest_wait_fails_writes_and_reads_naming_the_lock_file()
    {
        await _store.Store.AddAsync(Reference, TestWasmModule.Create(), Config);
        var lockPath = Path.Combine(_store.Root, ".wasme.lock");
        var clock = new FakeTimeProvider();
        var store = new LocalImageStore(_store.Root, clock);
        var before = _store.Snapshot();

        OciLockHeldException tagError, listError;
        using (HoldLock(lockPath))
        {
            var tag = store.TagAsync(Reference, Other);
            var list = store.ListAsync();
            await AdvanceUntilDoneAsync(clock, tag, list);
            tagError = await Assert.ThrowsAsync<OciLockHeldException>(() => tag);
            listError = await Assert.ThrowsAsync<OciLockHeldException>(() => list);
        }

        Assert.Contains($"Another process has held the lock {lockPath} for 60 s", tagError.Message, StringComparison.Ordinal);
        Assert.Contains($"fuser -v {lockPath}", tagError.Message, StringComparison.Ordinal);
        Assert.Contains("same store is stopped (Ctrl-Z) or hung", listError.Message, StringComparison.Ordinal);
        Assert.Equal(before, _store.Snapshot());
        // Once the holder is gone, the same command works.
        await store.TagAsync(Reference, Other);
        Assert.Equal(2, (await store.ListAsync()).Count);
    }

    [Fact]
    public async Task A_docker_config_lock_held_past_the_longest_wait_fails_the_login_and_keeps_the_file()
    {
        var file = Path.Combine(_store.Root, "docker", "config.json");
        await new CredentialStore(file).SaveAsync("kept.example.com", new RegistryCredential("me", "pw"));
        var content = await File.ReadAllTextAsync(file);
        var clock = new FakeTimeProvider();

        OciLockHeldException error;
        using (HoldLock(file + ".lock"))
        {
            var login = new CredentialStore(file, timeProvider: clock).SaveAsync("new.example.com", new RegistryCredential("me", "pw"));
            await AdvanceUntilDoneAsync(clock, login);
            error = await Assert.ThrowsAsync<OciLockHeldException>(() => login);
        }

        Assert.Contains($"{file}.lock for 60 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("same Docker config", error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(file));
    }

    /// <summary>Holds the lock as another wasme process does (flock through FileShare.None) until disposed.</summary>
    private static FileStream HoldLock(string path) => new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    /// <summary>Moves the fake clock a second at a time until the operations end; the real time taken does not matter.</summary>
    private static async Task AdvanceUntilDoneAsync(FakeTimeProvider clock, params Task[] operations)
    {
        var start = clock.GetUtcNow();
        while (!operations.All(o => o.IsCompleted))
        {
            Assert.True(clock.GetUtcNow() - start < TimeSpan.FromHours(1), "still waiting for the lock after an hour on the fake clock");
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }
    }
}
