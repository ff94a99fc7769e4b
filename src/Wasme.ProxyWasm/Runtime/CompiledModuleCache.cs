using System.Reflection;
using Module = Wasmtime.Module;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Vm;
using Wasmtime;

namespace Wasme.ProxyWasm.Runtime;

/// <summary>
/// Precompiled modules on disk, one file per module sha256 and engine (Wasmtime version, engine settings, CPU
/// architecture: code compiled for one is refused by another). Each file is a 32-byte sha256 of the payload followed
/// by the payload (Wasmtime's serialized module): the checksum catches torn or corrupted files, which must never reach
/// <see cref="Module.Deserialize"/> because deserialized code is trusted native code. Writes are temp file + rename.
/// An unusable entry is recompiled and replaced. The directory is kept under a size bound, least recently used first.
/// </summary>
internal sealed class CompiledModuleCache
{
    private static readonly TimeSpan StaleTemporary = TimeSpan.FromHours(1);
    private readonly string _directory;
    private readonly string _engineKey;
    private readonly long _maxBytes;
    private readonly ILogger _logger;

    public CompiledModuleCache(string directory, string engineSettings, long maxBytes, ILogger logger)
    {
        _directory = directory;
        _maxBytes = maxBytes;
        _logger = logger;
        _engineKey = EngineKey(engineSettings);
    }

    /// <summary>Names what compiled code depends on besides the module: Wasmtime's version, the engine settings, the CPU.</summary>
    internal static string EngineKey(string engineSettings)
    {
        var wasmtime = typeof(Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(Engine).Assembly.GetName().Version?.ToString() ?? "unknown";
        var text = $"wasmtime {wasmtime}; {engineSettings}; {RuntimeInformation.ProcessArchitecture}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
    }

    public string PathFor(string sha256) => Path.Combine(_directory, $"{sha256}-{_engineKey}.cwasm");

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
            Log.CacheEntryUnusable(_logger, path, ex.Message);
            return null;
        }

        if (bytes.Length <= 32 || !SHA256.HashData(bytes.AsSpan(32)).AsSpan().SequenceEqual(bytes.AsSpan(0, 32)))
        {
            Log.CacheEntryUnusable(_logger, path, "checksum mismatch (truncated or corrupted file)");
            return null;
        }

        Module module;
        try
        {
            module = Module.Deserialize(engine, name, bytes.AsSpan(32));
        }
        catch (WasmtimeException ex)
        {
            Log.CacheEntryUnusable(_logger, path, ex.Message);
            return null;
        }

        Touch(path);
        return module;
    }

    public void Store(Module module, string sha256)
    {
        var path = PathFor(sha256);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            CreatePrivateDirectory(_directory);
            var payload = module.Serialize();
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(SHA256.HashData(payload));
                stream.Write(payload);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            Trim(keep: path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            // The cache is an optimisation: a module that cannot be cached still runs.
            Log.CacheWriteFailed(_logger, path, ex.Message);
            TryDelete(temp);
        }
    }

    /// <summary>
    /// Whether the directory is safe to load native code from: absent (it will be created private), or not writable by
    /// group or others. Anyone who can write there could plant code this process would run.
    /// </summary>
    public bool IsPrivate(out string reason)
    {
        reason = string.Empty;
        if (OperatingSystem.IsWindows() || !Directory.Exists(_directory))
        {
            return true;
        }

        var mode = File.GetUnixFileMode(_directory);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            reason = $"{_directory} is writable by group or others (mode {Convert.ToString((int)mode, 8)}); chmod 700 it or pick another directory";
            return false;
        }

        return true;
    }

    /// <summary>Deletes least recently used entries until the directory fits its bound, and temp files a crash left.</summary>
    private void Trim(string keep)
    {
        var entries = new DirectoryInfo(_directory).GetFiles();
        var now = DateTime.UtcNow;
        long total = 0;
        var cached = new List<FileInfo>();
        foreach (var file in entries)
        {
            if (file.Name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                if (now - file.LastWriteTimeUtc > StaleTemporary)
                {
                    TryDelete(file.FullName);
                }
            }
            else if (file.Name.EndsWith(".cwasm", StringComparison.Ordinal))
            {
                total += file.Length;
                cached.Add(file);
            }
        }

        foreach (var file in cached.OrderBy(f => f.LastWriteTimeUtc))
        {
            if (total <= _maxBytes)
            {
                break;
            }

            if (file.FullName != keep && TryDelete(file.FullName))
            {
                total -= file.Length;
            }
        }
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    // A hit marks the entry recently used, so the size bound evicts what is no longer run.
    private static void Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
