using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Vm;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>
/// The slice of WASI preview 1 that Proxy-Wasm SDKs import (Go wasip1 and TinyGo, Rust, Emscripten, AssemblyScript):
/// stdout/stderr go to the plugin log, clocks come from the host's <see cref="TimeProvider"/>, there is no file system.
/// Errno values follow cpp-host.
/// </summary>
internal static class WasiFunctions
{
    public const int Success = 0;
    public const int BadFileDescriptor = 8;
    public const int Fault = 21;
    public const int Invalid = 28;
    public const int NoEntry = 44;
    public const int NotImplemented = 52;
    public const int NotSupported = 58;
    public const int InvalidSeek = 70;
    private const int MaxRandomBytes = 64 * 1024;

    public static int FdWrite(ProxyWasmVm vm, int fd, int iovecs, int iovecCount, int returnWritten)
    {
        if (fd is not (1 or 2))
        {
            return BadFileDescriptor;
        }

        if ((uint)iovecCount > 1024 || !vm.TryGetSpan(iovecs, iovecCount * 8, out _))
        {
            return Fault;
        }

        // One write is one log line, cut at the plugin's bound: a guest may point every iovec at all of its memory.
        var written = 0L;
        for (var i = 0; i < iovecCount; i++)
        {
            if (!TryGetIovec(vm, iovecs, i, out var data))
            {
                return Fault;
            }

            written += data.Length;
        }

        if (written > uint.MaxValue || !vm.TryWriteUInt32(returnWritten, (uint)written))
        {
            return Fault;
        }

        var level = fd == 1 ? LogLevel.Information : LogLevel.Error;
        if (!vm.Logger.IsEnabled(level))
        {
            return Success;
        }

        var limit = vm.Config.Limits.MaxLogMessageBytes;
        var kept = new byte[Math.Min(limit, written)];
        var keptLength = 0;
        for (var i = 0; i < iovecCount && keptLength < kept.Length; i++)
        {
            TryGetIovec(vm, iovecs, i, out var data);
            var take = Math.Min(data.Length, kept.Length - keptLength);
            data[..take].CopyTo(kept.AsSpan(keptLength));
            keptLength += take;
        }

        var message = kept.AsSpan(0, keptLength);
        var messageLength = written;
        if (written == keptLength && message.EndsWith("\n"u8))
        {
            message = message[..^1];
            messageLength--;
        }

        if (messageLength > limit && vm.FirstRefusal(GuestRefusals.LogTruncated))
        {
            Log.LogMessageTruncated(vm.Logger, vm.Config.Name, messageLength, limit);
        }

        var line = GuestLogText.Format(message, messageLength);
        Log.FilterMessage(vm.Logger, level, vm.Config.Name, line);
        return Success;
    }

    private static bool TryGetIovec(ProxyWasmVm vm, int iovecs, int index, out Span<byte> data)
    {
        vm.TryGetSpan(iovecs + (index * 8), 8, out var iovec);
        var pointer = (int)BinaryPrimitives.ReadUInt32LittleEndian(iovec);
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(iovec[4..]);
        return vm.TryGetSpan(pointer, length, out data);
    }

    public static int FdRead(ProxyWasmVm vm, int fd, int iovecs, int iovecCount, int returnRead) => NotImplemented;

    public static int FdClose(ProxyWasmVm vm, int fd) => Success;

    public static int FdSeek(ProxyWasmVm vm, int fd, long offset, int whence, int returnOffset) => fd is >= 0 and <= 2 ? InvalidSeek : BadFileDescriptor;

    /// <summary>Only stdout and stderr exist: character devices with write rights.</summary>
    public static int FdFdstatGet(ProxyWasmVm vm, int fd, int returnStat)
    {
        if (fd is not (1 or 2))
        {
            return BadFileDescriptor;
        }

        if (!vm.TryGetSpan(returnStat, 24, out var stat))
        {
            return Fault;
        }

        stat.Clear();
        stat[0] = 2; // filetype: character_device
        BinaryPrimitives.WriteUInt64LittleEndian(stat[8..], 1UL << 6); // rights_base: fd_write
        return Success;
    }

    public static int FdFdstatSetFlags(ProxyWasmVm vm, int fd, int flags) => fd is 1 or 2 ? Success : BadFileDescriptor;

    public static int FdPrestatGet(ProxyWasmVm vm, int fd, int returnPrestat) => BadFileDescriptor;

    public static int FdPrestatDirName(ProxyWasmVm vm, int fd, int pathPointer, int pathLength) => BadFileDescriptor;

    public static int PathOpen(ProxyWasmVm vm, int fd, int dirFlags, int pathPointer, int pathLength, int openFlags, long rightsBase, long rightsInheriting, int fdFlags, int returnFd) => NoEntry;

    public static int ClockTimeGet(ProxyWasmVm vm, int clockId, long precision, int returnTime)
    {
        var time = vm.Runtime.TimeProvider;
        ulong nanoseconds;
        switch (clockId)
        {
            case 0:
                nanoseconds = CoreFunctions.UnixNanoseconds(time.GetUtcNow());
                break;
            case 1:
                nanoseconds = (ulong)time.GetElapsedTime(0, time.GetTimestamp()).Ticks * 100UL;
                break;
            default:
                return NotSupported;
        }

        return vm.TryWriteUInt64(returnTime, nanoseconds) ? Success : Fault;
    }

    public static int ClockResGet(ProxyWasmVm vm, int clockId, int returnResolution)
    {
        if (clockId is not (0 or 1))
        {
            return NotSupported;
        }

        return vm.TryWriteUInt64(returnResolution, 100) ? Success : Fault;
    }

    public static int RandomGet(ProxyWasmVm vm, int bufferPointer, int bufferLength)
    {
        if ((uint)bufferLength > MaxRandomBytes)
        {
            return Invalid;
        }

        if (!vm.TryGetSpan(bufferPointer, bufferLength, out var buffer))
        {
            return Fault;
        }

        RandomNumberGenerator.Fill(buffer);
        return Success;
    }

    public static int EnvironSizesGet(ProxyWasmVm vm, int returnCount, int returnBufferSize)
    {
        var size = 0;
        foreach (var (key, value) in vm.Config.Environment)
        {
            size += Encoding.UTF8.GetByteCount(key) + 1 + Encoding.UTF8.GetByteCount(value) + 1;
        }

        return vm.TryWriteUInt32(returnCount, (uint)vm.Config.Environment.Count) && vm.TryWriteUInt32(returnBufferSize, (uint)size) ? Success : Fault;
    }

    public static int EnvironGet(ProxyWasmVm vm, int returnArray, int returnBuffer)
    {
        var offset = 0;
        var index = 0;
        foreach (var (key, value) in vm.Config.Environment)
        {
            var entry = Encoding.UTF8.GetBytes($"{key}={value}\0");
            if (!vm.TryWriteUInt32(returnArray + (index * 4), (uint)(returnBuffer + offset))
                || !vm.TryGetSpan(returnBuffer + offset, entry.Length, out var target))
            {
                return Fault;
            }

            entry.CopyTo(target);
            offset += entry.Length;
            index++;
        }

        return Success;
    }

    public static int ArgsSizesGet(ProxyWasmVm vm, int returnCount, int returnBufferSize)
    {
        return vm.TryWriteUInt32(returnCount, 0) && vm.TryWriteUInt32(returnBufferSize, 0) ? Success : Fault;
    }

    public static int ArgsGet(ProxyWasmVm vm, int returnArray, int returnBuffer) => Success;

    /// <summary>A guest that exits is finished: trap, so the failure policy takes over instead of running on.</summary>
    public static void ProcExit(ProxyWasmVm vm, int code)
        => throw new ProxyWasmException($"the guest called proc_exit({code})");

    public static int SchedYield(ProxyWasmVm vm) => Success;

    /// <summary>Go's runtime polls while idle; answer "no events" at once, as cpp-host does.</summary>
    public static int PollOneoff(ProxyWasmVm vm, int subscriptions, int events, int subscriptionCount, int returnEventCount)
    {
        return vm.TryWriteUInt32(returnEventCount, 0) ? Success : Fault;
    }

    /// <summary>The answer for any other WASI import: no files, no sockets, nothing else.</summary>
    public static int FallbackErrno(string name)
        => name.StartsWith("fd_", StringComparison.Ordinal) ? BadFileDescriptor
        : name.StartsWith("path_", StringComparison.Ordinal) ? NoEntry
        : NotImplemented;
}
