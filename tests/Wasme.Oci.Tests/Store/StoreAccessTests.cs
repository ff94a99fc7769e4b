using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Store;

/// <summary>A store the file system refuses (a file, a lock file that cannot be opened): one clear error, no crash, no hang.</summary>
public sealed class StoreAccessTests : IDisposable
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["root"]);
    private static readonly ImageReference Reference = ImageReference.Parse("example.com/team/filter:v1");
    private static readonly ImageReference Other = ImageReference.Parse("example.com/team/filter:v2");
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    private string LockPath => Path.Combine(_store.Root, ".wasme.lock");

    [Fact]
    public async Task A_store_path_that_is_a_file_is_a_usage_error_for_every_operation_and_the_file_is_untouched()
    {
        var file = Path.Combine(_store.Root, "filter.wasm");
        byte[] content = [1, 2, 3];
        await File.WriteAllBytesAsync(file, content);
        var store = new LocalImageStore(file);

        var add = await Assert.ThrowsAsync<OciUsageException>(() => store.AddAsync(Reference, TestWasmModule.Create(), Config));
        Assert.Contains($"The local store {file} is a file, not a directory", add.Message, StringComparison.Ordinal);
        Assert.Contains("--store", add.Message, StringComparison.Ordinal);
        // Read as an empty store, a typo in --store would list nothing and find nothing without a word.
        await Assert.ThrowsAsync<OciUsageException>(() => store.ListAsync());
        await Assert.ThrowsAsync<OciUsageException>(() => store.FindAsync(Reference));
        await Assert.ThrowsAsync<OciUsageException>(() => store.RemoveAsync(Reference));
        using (var staged = store.StageBlobs())
        {
            // Where a pull writes its blobs.
            await Assert.ThrowsAsync<OciUsageException>(() => staged.WriteAsync(Digest.Compute(content), (_, _) => Task.CompletedTask));
        }

        Assert.Equal(content, await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task A_lock_file_that_cannot_be_opened_is_reported_at_once_not_waited_on_forever()
    {
        await _store.Store.AddAsync(Reference, TestWasmModule.Create(), Config);
        File.Delete(LockPath);
        File.CreateSymbolicLink(LockPath, ".wasme.lock");
        // Only so that a wasme that waits forever ends this test; nothing here depends on time.
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var list = await Assert.ThrowsAsync<OciFileAccessException>(() => _store.Store.ListAsync(cancellationToken: hang.Token));
        var tag = await Assert.ThrowsAsync<OciFileAccessException>(() => _store.Store.TagAsync(Reference, Other, hang.Token));

        Assert.Contains($"Cannot use the local store {_store.Root}", list.Message, StringComparison.Ordinal);
        Assert.Contains(".wasme.lock", tag.Message, StringComparison.Ordinal);
        Assert.Contains("--store", tag.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lock_file_that_cannot_be_opened_for_writing_fails_writes_with_the_store_and_the_fix_and_reads_still_work()
    {
        await _store.Store.AddAsync(Reference, TestWasmModule.Create(), Config);
        var before = _store.Snapshot();
        // What a store the user may not write looks like, even to root: the lock cannot be opened for writing.
        File.Delete(LockPath);
        Directory.CreateDirectory(LockPath);

        var tag = await Assert.ThrowsAsync<OciFileAccessException>(() => _store.Store.TagAsync(Reference, Other));
        var remove = await Assert.ThrowsAsync<OciFileAccessException>(() => _store.Store.RemoveAsync(Reference));
        var add = await Assert.ThrowsAsync<OciFileAccessException>(() => _store.Store.AddAsync(Other, TestWasmModule.Create(seed: 3), Config));

        Assert.All([tag, remove, add], e => Assert.Contains($"Cannot use the local store {_store.Root}", e.Message, StringComparison.Ordinal));
        Assert.Equal(OciErrorKind.FileAccess, tag.Kind);
        Assert.Equal(before, _store.Snapshot());
        Assert.Equal(Reference, Assert.Single(await _store.Store.ListAsync()).Reference);
    }
}
