using Microsoft.Extensions.Time.Testing;
using Wasme.Cache.Storage;
using Wasme.Cache.Tests.Support;

namespace Wasme.Cache.Tests.Storage;

public sealed class ModuleDirectoryTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ModuleDirectory _directory;

    public ModuleDirectoryTests()
    {
        _directory = new ModuleDirectory(_temp.Path, new FakeTimeProvider());
    }

    public void Dispose()
    {
        _directory.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Stores_verified_module_read_only_under_its_sha256()
    {
        var bytes = TestModules.Create(10_000, seed: 1);
        var digest = TestModules.DigestOf(bytes);

        var entry = await _directory.StoreAsync(digest, 1 << 20, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);

        Assert.Equal(Path.Combine(_temp.Path, digest.Hex), entry.Path);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(entry.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(entry.Path));
        Assert.Equal([digest.Hex], _temp.Files());
        Assert.True(_directory.Contains(digest));
    }

    [Fact]
    public async Task Refuses_content_that_does_not_hash_to_the_expected_digest_and_leaves_nothing()
    {
        var expected = TestModules.DigestOf(TestModules.Create(1000, seed: 1));
        var tampered = TestModules.Create(1000, seed: 2);

        var error = await Assert.ThrowsAsync<ModuleIntegrityException>(() =>
            _directory.StoreAsync(expected, 1 << 20, (s, ct) => s.WriteAsync(tampered, ct).AsTask(), CancellationToken.None));

        Assert.Contains(expected.Hex, error.Message, StringComparison.Ordinal);
        Assert.Empty(_temp.Files());
        Assert.False(_directory.Contains(expected));
    }

    [Fact]
    public async Task Refuses_content_over_the_size_bound_and_leaves_nothing()
    {
        var bytes = TestModules.Create(4096, seed: 3);

        var error = await Assert.ThrowsAsync<ModuleIntegrityException>(() =>
            _directory.StoreAsync(TestModules.DigestOf(bytes), 1024, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None));

        Assert.Contains("1024 bytes", error.Message, StringComparison.Ordinal);
        Assert.Empty(_temp.Files());
    }

    [Fact]
    public async Task An_interrupted_write_leaves_no_file_and_the_next_write_completes()
    {
        var bytes = TestModules.Create(64 * 1024, seed: 4);
        var digest = TestModules.DigestOf(bytes);

        await Assert.ThrowsAsync<IOException>(() => _directory.StoreAsync(digest, 1 << 20, async (s, ct) =>
        {
            await s.WriteAsync(bytes.AsMemory(0, 1000), ct);
            throw new IOException("connection reset by peer");
        }, CancellationToken.None));
        Assert.Empty(_temp.Files());

        await _directory.StoreAsync(digest, 1 << 20, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(_temp.Path, digest.Hex)));
    }

    [Fact]
    public async Task Scan_after_a_crash_removes_temp_files_and_corrupt_modules_and_keeps_good_ones()
    {
        var good = TestModules.Create(2000, seed: 5);
        var goodDigest = TestModules.DigestOf(good);
        await File.WriteAllBytesAsync(Path.Combine(_temp.Path, goodDigest.Hex), good);
        // What a crash mid-fetch leaves: a partial temp file.
        await File.WriteAllBytesAsync(Path.Combine(_temp.Path, $".tmp-{goodDigest.Hex}-1234"), good.AsSpan(0, 100).ToArray());
        // A file whose content no longer matches its name (truncated by another writer, or tampered).
        var corrupt = TestModules.Create(2000, seed: 6);
        var corruptName = TestModules.DigestOf(corrupt).Hex;
        await File.WriteAllBytesAsync(Path.Combine(_temp.Path, corruptName), corrupt.AsSpan(0, 1500).ToArray());
        await File.WriteAllTextAsync(Path.Combine(_temp.Path, "README"), "not a module");

        var report = await _directory.ScanAsync(CancellationToken.None);

        Assert.Equal(1, report.Kept);
        Assert.Single(report.RemovedTempFiles);
        Assert.Equal([corruptName], report.RemovedCorruptFiles);
        Assert.Equal(["README"], report.IgnoredFiles);
        Assert.Equal(new[] { goodDigest.Hex, "README" }.Order(StringComparer.Ordinal), _temp.Files());
        Assert.True(_directory.TryGet(goodDigest, out var entry));
        Assert.Equal(2000, entry.Length);
    }

    [Fact]
    public async Task A_directory_the_cache_cannot_write_fails_the_scan_instead_of_every_fetch_after_ready()
    {
        // sysfs refuses new files even to root, as a read-only hostPath does (permission bits do not stop root).
        var readOnly = new ModuleDirectory("/sys/kernel", new FakeTimeProvider());

        var error = await Assert.ThrowsAsync<ModuleDirectoryAccessException>(() => readOnly.ScanAsync(CancellationToken.None));

        Assert.StartsWith("The module directory /sys/kernel cannot be written (", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mount it read-write", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_path_that_is_a_file_fails_the_scan_naming_the_path_and_the_option()
    {
        var file = Path.Combine(_temp.Path, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");

        var error = await Assert.ThrowsAsync<ModuleDirectoryAccessException>(() => new ModuleDirectory(file, new FakeTimeProvider()).ScanAsync(CancellationToken.None));
        var under = await Assert.ThrowsAsync<ModuleDirectoryAccessException>(() => new ModuleDirectory(Path.Combine(file, "cache"), new FakeTimeProvider()).ScanAsync(CancellationToken.None));

        // Was "The file '…' already exists." and "Could not find a part of the path …": neither says it is the module directory.
        Assert.Equal($"The module directory {file} cannot be used (it is a file, not a directory). Pass a directory the cache can create or write with --directory, e.g. /var/local/lib/wasme-cache.", error.Message);
        Assert.StartsWith($"The module directory {file}/cache cannot be used (it cannot be created: ", under.Message, StringComparison.Ordinal);
        Assert.Contains("--directory", under.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_deletes_the_file()
    {
        var bytes = TestModules.Create(100, seed: 7);
        var digest = TestModules.DigestOf(bytes);
        await _directory.StoreAsync(digest, 1 << 20, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);

        Assert.True(_directory.Remove(digest));

        Assert.Empty(_temp.Files());
        Assert.False(_directory.Contains(digest));
    }

    [Fact]
    public async Task A_module_removed_while_being_served_is_still_sent_whole_and_no_longer_opened_afterwards()
    {
        var bytes = TestModules.Create(300_000, seed: 7);
        var digest = TestModules.DigestOf(bytes);
        await _directory.StoreAsync(digest, 1 << 20, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);
        using var serving = _directory.TryOpenContent(digest);

        Assert.True(_directory.Remove(digest));

        // The response in flight keeps its mapping (eviction must not tear bytes out from under a proxy's fetch) ...
        Assert.Equal(bytes, serving!.Memory.ToArray());
        Assert.False(File.Exists(Path.Combine(_temp.Path, digest.Hex)));
        // ... and nothing new is served from it.
        Assert.Null(_directory.TryOpenContent(digest));
    }

    [Fact]
    public async Task A_second_cache_on_the_same_directory_is_refused_and_leaves_the_first_ones_fetch_alone()
    {
        await _directory.ScanAsync(CancellationToken.None);
        // The first cache is writing a module right now.
        var inFlight = Path.Combine(_temp.Path, $".tmp-{new string('a', 64)}-inflight");
        await File.WriteAllBytesAsync(inFlight, [1, 2, 3]);
        using var second = new ModuleDirectory(_temp.Path, new FakeTimeProvider());

        var error = await Assert.ThrowsAsync<ModuleDirectoryAccessException>(() => second.ScanAsync(CancellationToken.None));

        // Its scan used to delete the first cache's temp files (failing its fetches) and its eviction the modules the first serves.
        Assert.Equal(
            $"The module directory {_temp.Path} is in use by another wasme cache. Give each cache its own --directory, or stop the other one.",
            error.Message);
        Assert.True(File.Exists(inFlight));

        // Once the first one stops (a kill -9 too: the kernel drops the lock), the directory is free.
        _directory.Dispose();
        var report = await second.ScanAsync(CancellationToken.None);
        Assert.Single(report.RemovedTempFiles);
    }

    [Fact]
    public async Task The_scan_removes_module_names_it_cannot_verify_or_that_are_not_its_files_instead_of_failing_the_start()
    {
        var good = TestModules.Create(2000, seed: 8);
        var goodDigest = TestModules.DigestOf(good);
        await File.WriteAllBytesAsync(Path.Combine(_temp.Path, goodDigest.Hex), good);
        // A link whose target is gone stopped every start with "Could not find file".
        var dangling = TestModules.DigestOf(TestModules.Create(100, seed: 9)).Hex;
        File.CreateSymbolicLink(Path.Combine(_temp.Path, dangling), Path.Combine(_temp.Path, "gone"));
        // A link to a file outside the directory: even with the right bytes, not a file the cache wrote, and HostPath sidecars
        // (which mount only this directory) could not follow it.
        using var outside = new TempDirectory();
        var linked = TestModules.Create(1000, seed: 10);
        var target = Path.Combine(outside.Path, "module.wasm");
        await File.WriteAllBytesAsync(target, linked);
        var linkedName = TestModules.DigestOf(linked).Hex;
        File.CreateSymbolicLink(Path.Combine(_temp.Path, linkedName), target);

        var report = await _directory.ScanAsync(CancellationToken.None);

        Assert.Equal(1, report.Kept);
        Assert.Equal(new[] { dangling, linkedName }.Order(StringComparer.Ordinal), report.RemovedCorruptFiles.Order(StringComparer.Ordinal));
        Assert.Equal([goodDigest.Hex], _temp.Files());
        Assert.Equal(linked, await File.ReadAllBytesAsync(target));
    }

    [Fact]
    public async Task A_module_file_replaced_before_its_first_request_is_not_served_and_is_fetched_again()
    {
        var bytes = TestModules.Create(5000, seed: 11);
        var digest = TestModules.DigestOf(bytes);
        await _directory.StoreAsync(digest, 1 << 20, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);
        // Replaced behind the cache's back with other bytes of the same length (the start-up scan and the length check pass).
        var path = Path.Combine(_temp.Path, digest.Hex);
        var other = Path.Combine(_temp.Path, "other");
        await File.WriteAllBytesAsync(other, TestModules.Create(5000, seed: 12));
        File.Move(other, path, overwrite: true);

        // Was served: the bytes were first read, unverified, by the first request.
        Assert.Null(_directory.TryOpenContent(digest));
        Assert.False(_directory.Contains(digest));
        Assert.Empty(_temp.Files());
    }

    [Fact]
    public async Task A_module_file_rewritten_after_it_was_verified_is_dropped_by_the_next_pass()
    {
        var bytes = TestModules.Create(5000, seed: 13);
        var digest = TestModules.DigestOf(bytes);
        await _directory.StoreAsync(digest, 1 << 20, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);
        using (_directory.TryOpenContent(digest))
        {
        }

        // Same length, other bytes: HostPath sidecars read the file by name, so it is not the module any more.
        var path = Path.Combine(_temp.Path, digest.Hex);
        var other = Path.Combine(_temp.Path, "other");
        await File.WriteAllBytesAsync(other, TestModules.Create(5000, seed: 14));
        File.SetLastWriteTimeUtc(other, File.GetLastWriteTimeUtc(path).AddSeconds(-5));
        File.Move(other, path, overwrite: true);

        Assert.Equal([digest], _directory.ForgetMissing());
        Assert.False(_directory.Contains(digest));
    }

    [Fact]
    public async Task A_write_the_file_system_refuses_for_want_of_space_is_reported_as_the_directory_being_full()
    {
        var bytes = TestModules.Create(1000, seed: 15);
        var digest = TestModules.DigestOf(bytes);

        // A real ENOSPC from the kernel (/dev/full refuses every write with it), met while the fetch writes the module.
        var error = await Assert.ThrowsAsync<IOException>(() => _directory.StoreAsync(digest, 1 << 20, async (_, ct) =>
        {
            await using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            await full.WriteAsync(bytes, ct);
            await full.FlushAsync(ct);
        }, CancellationToken.None));

        Assert.StartsWith($"The module directory {_temp.Path} is full: no room to store module sha256:{digest.Hex}", error.Message, StringComparison.Ordinal);
        Assert.Empty(_temp.Files());
    }
}
