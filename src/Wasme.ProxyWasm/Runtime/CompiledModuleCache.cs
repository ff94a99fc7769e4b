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
/// architecture: code compiled for one is refused by another). Each file is Wasmtime's serialized module as it is, so
/// Wasmtime maps it instead of copying it; its name ends with the sha256 of its content, which catches torn or corrupted
/// files: they must never reach <see cref="Module.DeserializeFile"/>, because deserialized code is trusted native code.
/// Writes are temp file + rename, so a name and its content change together. An unusable entry is recompiled and
/// replaced. The directory is kept under a size bound, least recently used first.
/// </summary>
internal sealed class CompiledModuleCache
{
    private const int ChecksumBufferBytes = 1 << 20;
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

    /// <summary>Where the entry for a module and payload goes: module sha256, engine key, payload checksum.</summary>
    private string PathFor(string sha256, ReadOnlySpan<byte> payload) => Path.Combine(_directory, $"{Prefix(sha256)}{Convert.ToHexStringLower(SHA256.HashData(payload))}.cwasm");

    public Module? TryLoad(Engine engine, string sha256, string name)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFiles(_directory, Prefix(sha256) + "*.cwasm");
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CacheEntryUnusable(_logger, _directory, ex.Message);
            return null;
        }

        // A run killed while writing this module's entry left its temp file (megabytes); a cache hit writes nothing, so
        // this is the one moment sure to come again for that module.
        RemoveAbandonedTemporaries(Prefix(sha256) + "*.tmp");

        // Normally one; another only if two processes compiled the module differently (both are sound).
        foreach (var path in entries)
        {
            if (TryDeserialize(engine, path, Path.GetFileNameWithoutExtension(path)[Prefix(sha256).Length..], name) is { } module)
            {
                Touch(path);
                return module;
            }
        }

        return null;
    }

    private Module? TryDeserialize(Engine engine, string path, string checksum, string name)
    {
        try
        {
            if (!string.Equals(ChecksumOf(path), checksum, StringComparison.Ordinal))
            {
                Log.CacheEntryUnusable(_logger, path, "checksum mismatch (truncated or corrupted file)");
                return null;
            }

            return Module.DeserializeFile(engine, name, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            Log.CacheEntryUnusable(_logger, path, ex.Message);
            return null;
        }
    }

    public void Store(Module module, string sha256)
    {
        var temp = Path.Combine(_directory, Prefix(sha256) + Guid.NewGuid().ToString("N") + ".tmp");
        var path = temp;
        try
        {
            CreatePrivateDirectory(_directory);
            var payload = module.Serialize();
            path = PathFor(sha256, payload);
            // Held exclusively (flock) while written, so another process never removes it as abandoned.
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(payload);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            Trim(keep: path, replaced: Prefix(sha256));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WasmtimeException)
        {
            // The cache is an optimisation: a module that cannot be cached still runs.
            Log.CacheWriteFailed(_logger, path, ex.Message);
            TryDelete(temp);
        }
    }

    private string Prefix(string sha256) => $"{sha256}-{_engineKey}-";

    /// <summary>
    /// The sha256 of a file, streamed (the file is several megabytes; Wasmtime maps it afterwards). SHA-256 rather than
    /// a faster non-cryptographic hash: it is native code from the first call, where a managed hash runs unoptimised in
    /// a fresh process and cost more than it saved (measured: +45 ms of CPU for a 6.8 MB entry).
    /// </summary>
    private static string ChecksumOf(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChecksumBufferBytes, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
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

    /// <summary>
    /// Deletes the entries <paramref name="keep"/> replaces (same module and engine, older or corrupted payload), then
    /// least recently used entries until the directory fits its bound, and temp files a crash left (those no writer holds).
    /// </summary>
    private void Trim(string keep, string replaced)
    {
        var entries = new DirectoryInfo(_directory).GetFiles();
        long total = 0;
        var cached = new List<FileInfo>();
        foreach (var file in entries)
        {
            if (file.Name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                TryDeleteAbandoned(file.FullName);
            }
            else if (file.Name.EndsWith(".cwasm", StringComparison.Ordinal))
            {
                if (file.FullName != keep && file.Name.StartsWith(replaced, StringComparison.Ordinal) && TryDelete(file.FullName))
                {
                    continue;
                }

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

    private void RemoveAbandonedTemporaries(string pattern)
    {
        try
        {
            foreach (var temp in Directory.GetFiles(_directory, pattern))
            {
                TryDeleteAbandoned(temp);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Deletes a temp file no writer holds: a writer holds its own until it is renamed (or a crash drops the lock).</summary>
    private static void TryDeleteAbandoned(string path)
    {
        try
        {
            using var held = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Being written by another process, or already gone.
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
