using Wasme.Oci.References;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Store;

/// <summary>Issue 15 point 6 in one process: which temp files a store write removes, and which it must leave.</summary>
public sealed class AbandonedTempFilesTests : IDisposable
{
    private static readonly RuntimeConfig Config = RuntimeConfig.Create(["v0.2.1"], ["add_header"]);
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task A_write_removes_old_unheld_temp_files_and_keeps_young_ones_and_those_a_live_pull_holds()
    {
        await _store.Store.AddAsync(ImageReference.Parse("example.com/a:v1"), TestWasmModule.Create(seed: 1), Config);
        var blobs = Path.Combine(_store.Root, "blobs", "sha256");
        var abandoned = Temp(blobs, age: TimeSpan.FromHours(2));
        var abandonedBesideIndex = Temp(_store.Root, age: TimeSpan.FromHours(2));
        var young = Temp(blobs, age: TimeSpan.FromMinutes(1));
        using var livePull = _store.Store.StageBlobs();
        await livePull.WriteAsync(Digest.Compute([1, 2, 3]), (file, ct) => file.WriteAsync(new byte[] { 1, 2, 3 }, ct).AsTask());
        var held = Assert.Single(Directory.EnumerateFiles(blobs, ".tmp-*").Except([abandoned, young]));
        File.SetLastWriteTimeUtc(held, DateTime.UtcNow - TimeSpan.FromHours(2));

        await new Wasme.Oci.Store.LocalImageStore(_store.Root).AddAsync(ImageReference.Parse("example.com/b:v1"), TestWasmModule.Create(seed: 2), Config);

        Assert.False(File.Exists(abandoned));
        Assert.False(File.Exists(abandonedBesideIndex));
        Assert.True(File.Exists(young));
        Assert.True(File.Exists(held));
        livePull.Dispose();
        Assert.False(File.Exists(held));
    }

    private static string Temp(string directory, TimeSpan age)
    {
        var path = Path.Combine(directory, $".tmp-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, new byte[1024]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }
}
