using System.Security.Cryptography;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

public sealed class ModuleCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "wasme-cache-" + Guid.NewGuid().ToString("N"));

    private static byte[] ModuleBytes(string header = "x-cached")
    {
        var wat = new Wat();
        return Wasmtime.Module.ConvertText(wat.Module($$"""
            (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
              (drop (call $proxy_add_header_map_value (i32.const 0) {{wat.Str(header)}} {{wat.Str("yes")}}))
              (i32.const 0))
            """)).ToArray();
    }

    private ProxyWasmRuntime Runtime() => new(new ProxyWasmRuntimeOptions { CompilationCacheDirectory = _directory });

    private static void AssertRuns(ProxyWasmRuntime runtime, ProxyWasmModule module)
    {
        using var plugin = runtime.CreatePlugin(module, new PluginConfiguration { Name = "cached" });
        using var stream = plugin.CreateHttpStream(new RecordingStreamHost());
        var headers = HostHarness.RequestHeaders();
        stream.OnRequestHeaders(headers, endOfStream: true);
        Assert.Equal(["yes"], headers.GetValues("x-cached"));
    }

    [Fact]
    public void A_second_load_comes_from_the_precompiled_cache_keyed_by_sha256()
    {
        var bytes = ModuleBytes();
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));

        using (var runtime = Runtime())
        using (var first = runtime.LoadModule(bytes, "filter.wasm"))
        {
            Assert.False(first.LoadedFromCache);
            Assert.Equal(sha256, first.Sha256);
        }

        // One entry per module digest and engine (Wasmtime version, settings, CPU).
        Assert.Single(Directory.GetFiles(_directory, sha256 + "-*.cwasm"));
        using (var runtime = Runtime())
        using (var second = runtime.LoadModule(bytes, "filter.wasm"))
        {
            Assert.True(second.LoadedFromCache);
            AssertRuns(runtime, second);
        }
    }

    [Fact]
    public void A_corrupted_cache_entry_is_ignored_recompiled_and_replaced()
    {
        var bytes = ModuleBytes();
        using (var runtime = Runtime())
        {
            runtime.LoadModule(bytes, "filter.wasm").Dispose();
        }

        var entry = Directory.GetFiles(_directory, "*.cwasm").Single();
        var content = File.ReadAllBytes(entry);
        content[content.Length / 2] ^= 0xFF; // one flipped byte inside the file, which Wasmtime itself would not notice
        File.WriteAllBytes(entry, content);

        using (var runtime = Runtime())
        using (var module = runtime.LoadModule(bytes, "filter.wasm"))
        {
            Assert.False(module.LoadedFromCache);
            AssertRuns(runtime, module);
        }

        using (var runtime = Runtime())
        using (var module = runtime.LoadModule(bytes, "filter.wasm"))
        {
            Assert.True(module.LoadedFromCache);
        }

        Assert.Single(Directory.GetFiles(_directory, "*.cwasm"));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void The_temp_file_of_a_run_killed_while_writing_an_entry_is_removed_by_the_next_load_of_that_module()
    {
        var bytes = ModuleBytes();
        using (var runtime = Runtime())
        {
            runtime.LoadModule(bytes, "filter.wasm").Dispose();
        }

        // What a run killed between writing the entry's temp file and renaming it leaves (megabytes for a real filter).
        // Every later run loads the module from the cache and writes nothing, so only a load can remove it.
        var entry = Path.GetFileName(Directory.GetFiles(_directory, "*.cwasm").Single());
        var leftover = Path.Combine(_directory, entry[..(entry.LastIndexOf('-') + 1)] + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(leftover, new byte[64 * 1024]);
        // Another run writing the same entry right now holds its temp file.
        var inUse = Path.Combine(_directory, entry[..(entry.LastIndexOf('-') + 1)] + Guid.NewGuid().ToString("N") + ".tmp");
        using var writing = new FileStream(inUse, FileMode.CreateNew, FileAccess.Write, FileShare.None);

        using (var runtime = Runtime())
        using (var module = runtime.LoadModule(bytes, "filter.wasm"))
        {
            Assert.True(module.LoadedFromCache);
        }

        Assert.False(File.Exists(leftover), "the killed run's temp file is still in the cache");
        Assert.True(File.Exists(inUse), "a temp file still being written was removed");
    }

    [Fact]
    public void A_truncated_cache_entry_is_ignored_and_recompiled()
    {
        var bytes = ModuleBytes();
        using (var runtime = Runtime())
        {
            runtime.LoadModule(bytes, "filter.wasm").Dispose();
        }

        // As a full disk or a crash of something that bypassed the temp file would leave it.
        var entry = Directory.GetFiles(_directory, "*.cwasm").Single();
        using (var stream = new FileStream(entry, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(stream.Length / 2);
        }

        using (var runtime = Runtime())
        using (var module = runtime.LoadModule(bytes, "filter.wasm"))
        {
            Assert.False(module.LoadedFromCache);
            AssertRuns(runtime, module);
        }

        Assert.Single(Directory.GetFiles(_directory, "*.cwasm"));
        using (var runtime = Runtime())
        using (var module = runtime.LoadModule(bytes, "filter.wasm"))
        {
            Assert.True(module.LoadedFromCache);
        }
    }

    [Fact]
    public void The_cache_stays_within_its_size_bound_by_evicting_the_least_recently_used_entry()
    {
        var first = ModuleBytes();
        var second = ModuleBytes("x-other");
        using (var runtime = Runtime())
        {
            runtime.LoadModule(first, "first.wasm").Dispose();
        }

        var firstEntry = Directory.GetFiles(_directory, "*.cwasm").Single();
        var bound = new FileInfo(firstEntry).Length + 1;
        using (var runtime = new ProxyWasmRuntime(new ProxyWasmRuntimeOptions { CompilationCacheDirectory = _directory, CompilationCacheMaxBytes = bound }))
        {
            runtime.LoadModule(second, "second.wasm").Dispose();
        }

        var left = Directory.GetFiles(_directory, "*.cwasm").Single();
        Assert.NotEqual(firstEntry, left);
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(second)), Path.GetFileName(left), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cache_directory_others_may_write_to_is_not_used()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var bytes = ModuleBytes();

        using (var runtime = Runtime())
        {
            runtime.LoadModule(bytes, "filter.wasm").Dispose();
        }

        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void A_new_cache_directory_is_private_to_its_owner()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using (var runtime = Runtime())
        {
            runtime.LoadModule(ModuleBytes(), "filter.wasm").Dispose();
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
    }

    [Fact]
    public void Bytes_that_are_not_wasm_are_refused_with_the_module_name()
    {
        using var runtime = Runtime();

        var error = Assert.Throws<ProxyWasmException>(() => runtime.LoadModule("not wasm"u8, "bad.wasm"));

        Assert.Contains("bad.wasm", error.Message);
        Assert.Contains("not a valid WebAssembly module", error.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
