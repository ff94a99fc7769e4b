using Wasme.Oci.References;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Store;

/// <summary>The store's <c>oci-layout</c> marker after a process was killed while creating it.</summary>
public sealed class InterruptedLayoutTests
{
    [Fact]
    public async Task An_empty_oci_layout_a_killed_first_write_left_is_repaired_so_umoci_reads_the_store()
    {
        using var store = new TestStore();
        // The marker was written in place: a kill between creating it and writing its 30 bytes left it empty,
        // and umoci then refuses the whole store ("parse oci-layout: unexpected end of JSON input").
        await File.WriteAllBytesAsync(Path.Combine(store.Root, "oci-layout"), []);

        await store.Store.AddAsync(ImageReference.Parse("example.com/team/filter:v1"), TestWasmModule.Create(600, seed: 61), RuntimeConfig.Create(["v0.2.1"], ["add_header"]));

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", await File.ReadAllTextAsync(Path.Combine(store.Root, "oci-layout")));
        var listed = await ExternalTool.RunCheckedAsync("umoci", "ls", "--layout", store.Root);
        Assert.Contains("example.com/team/filter:v1", listed, StringComparison.Ordinal);
    }
}
