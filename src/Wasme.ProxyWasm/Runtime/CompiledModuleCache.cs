using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Vm;
using Wasmtime;

namespace Wasme.ProxyWasm.Runtime;

/// <summary>
/// Precompiled modules on disk, one file per module sha256. Each file is a 32-byte sha256 of the payload followed by
/// the payload (Wasmtime's serialized module): the checksum catches torn or corrupted files, which must never reach
/// <see cref="Module.Deserialize"/> because deserialized code is trusted native code. Writes are temp file + rename.
/// An unusable entry (corrupt, or from another Wasmtime version) is recompiled and replaced.
/// </summary>
internal sealed class CompiledModuleCache(string directory, ILogger logger)
{
    public string PathFor(string sha256) => System.IO.Path.Combine(directory, sha256 + ".cwasm");

    public Module? TryLoad(Engine engine, string sha256, string name)
    {
        var path = PathFor(sha256);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CacheEntryUnusable(logger, path, ex.Message);
            return null;
        }

        if (bytes.Length <= 32 || !SHA256.HashData(bytes.AsSpan(32)).AsSpan().SequenceEqual(bytes.AsSpan(0, 32)))
        {
            Log.CacheEntryUnusable(logger, path, "checksum mismatch (truncated or corrupted file)");
            return null;
        }

        try
        {
            return Module.Deserialize(engine, name, bytes.AsSpan(32));
        }
        catch (WasmtimeException ex)
        {
            Log.CacheEntryUnusable(logger, path, ex.Message);
            return null;
        }
    }

    public void Store(Module module, string sha256)
    {
        var path = PathFor(sha256);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            Directory.CreateDirectory(directory);
            var payload = module.Serialize();
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(SHA256.HashData(payload));
                stream.Write(payload);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            // The cache is an optimisation: a module that cannot be cached still runs.
            Log.CacheWriteFailed(logger, path, ex.Message);
            TryDelete(temp);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
