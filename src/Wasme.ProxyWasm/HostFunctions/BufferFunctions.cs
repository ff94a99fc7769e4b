using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Vm;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Buffers: bodies, http_call response bodies, configurations and foreign-call arguments.</summary>
internal static class BufferFunctions
{
    public static int ProxyGetBufferBytes(ProxyWasmVm vm, int bufferType, int start, int maxSize, int returnPointer, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!IsKnown(bufferType))
        {
            return BadArgument;
        }

        if (!TryRead(vm, bufferType, out var buffer))
        {
            return NotFound;
        }

        var from = (uint)start;
        var count = (uint)maxSize;
        if (from + (ulong)count > uint.MaxValue)
        {
            return BadArgument;
        }

        var length = (uint)buffer.Length;
        var slice = from >= length ? [] : buffer.Slice((int)from, (int)Math.Min(count, length - from));
        if (bufferType == (int)BufferType.PluginConfiguration && (uint)returnSize == count)
        {
            return SizeAsPointerConfiguration(vm, slice, returnPointer);
        }

        // As cpp-host: nothing to copy means nothing written (not a (0, 0) result).
        return slice.IsEmpty ? Ok : (int)vm.CopyOut(slice, returnPointer, returnSize);
    }

    /// <summary>
    /// Compatibility with <c>@solo-io/proxy-runtime</c> 0.1.x (the AssemblyScript SDK of the original wasme):
    /// its <c>RootContext.onConfigure</c> passes the configuration size where the size pointer belongs, so
    /// <c>size_ptr == max_size</c>. cpp-host writes the size at guest address == size, over the SDK's static data
    /// once the configuration is longer than the unused low memory (1 KiB in optimised builds, 16 bytes in debug
    /// ones), and for an empty configuration writes nothing, leaving the SDK to decode a buffer it already freed.
    /// No correct guest passes its requested length as a pointer, so for that exact call this host hands back the
    /// data pointer (an empty allocation when the configuration is empty) and skips the misplaced size write; the
    /// SDK then takes the length from the ArrayBuffer itself.
    /// </summary>
    private static int SizeAsPointerConfiguration(ProxyWasmVm vm, ReadOnlySpan<byte> data, int returnPointer)
    {
        Log.SizeAsPointerConfiguration(vm.Logger, vm.Config.Name, data.Length);
        return (int)vm.CopyOutPointer(data, returnPointer);
    }

    public static int ProxyGetBufferStatus(ProxyWasmVm vm, int bufferType, int returnSize, int returnFlags)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!IsKnown(bufferType))
        {
            return BadArgument;
        }

        if (!TryRead(vm, bufferType, out var buffer))
        {
            return NotFound;
        }

        return vm.TryWriteUInt32(returnSize, (uint)buffer.Length) && vm.TryWriteUInt32(returnFlags, 0) ? Ok : InvalidMemoryAccess;
    }

    /// <summary>
    /// Envoy's semantics (<c>Buffer::copyFrom</c>): start 0 drains <paramref name="size"/> bytes then prepends
    /// (so (0, 0) prepends and (0, ≥length) replaces); start at or past the end appends; anything else is BAD_ARGUMENT.
    /// </summary>
    public static int ProxySetBufferBytes(ProxyWasmVm vm, int bufferType, int start, int size, int dataPointer, int dataSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!IsKnown(bufferType))
        {
            return BadArgument;
        }

        var buffer = bufferType switch
        {
            (int)BufferType.HttpRequestBody => vm.Current.RequestBody,
            (int)BufferType.HttpResponseBody => vm.Current.ResponseBody,
            (int)BufferType.DownstreamData => vm.Current.DownstreamData,
            (int)BufferType.UpstreamData => vm.Current.UpstreamData,
            _ => null,
        };
        if (buffer is null)
        {
            return NotFound;
        }

        if (!vm.TryGetSpan(dataPointer, dataSize, out var data))
        {
            return InvalidMemoryAccess;
        }

        var from = (uint)start;
        if (from != 0 && from < (uint)buffer.Length)
        {
            return BadArgument;
        }

        var drained = from == 0 ? (int)Math.Min((uint)size, (uint)buffer.Length) : 0;
        var length = (long)buffer.Length - drained + data.Length;
        if (length > buffer.GuestLimit && length > buffer.Length)
        {
            if (vm.FirstRefusal(GuestRefusals.BufferLimit))
            {
                Log.BufferLimitReached(vm.Logger, vm.Config.Name, (BufferType)bufferType, length, buffer.GuestLimit);
            }

            return InternalFailure;
        }

        if (from == 0)
        {
            buffer.Drain(drained);
            buffer.Prepend(data);
        }
        else
        {
            buffer.Append(data);
        }

        return Ok;
    }

    /// <summary>0.1.0's <c>proxy_get_configuration</c>: the VM configuration during start, the plugin configuration after.</summary>
    public static int ProxyGetConfiguration(ProxyWasmVm vm, int returnPointer, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        var configuration = vm.InVmStart ? vm.Config.VmConfiguration : vm.Config.Configuration;
        return (int)vm.CopyOut(configuration.Span, returnPointer, returnSize);
    }

    /// <summary>As cpp-host: a type past the last one the ABI defines is the guest's mistake (BAD_ARGUMENT); a known one this context lacks is NOT_FOUND.</summary>
    private static bool IsKnown(int bufferType) => (uint)bufferType <= (uint)BufferType.CallData;

    private static bool TryRead(ProxyWasmVm vm, int bufferType, out ReadOnlySpan<byte> buffer)
    {
        ReadOnlyMemory<byte>? memory = bufferType switch
        {
            (int)BufferType.HttpRequestBody => vm.Current.RequestBody?.Memory,
            (int)BufferType.HttpResponseBody => vm.Current.ResponseBody?.Memory,
            (int)BufferType.DownstreamData => vm.Current.DownstreamData?.Memory,
            (int)BufferType.UpstreamData => vm.Current.UpstreamData?.Memory,
            (int)BufferType.HttpCallResponseBody => vm.CallResponse?.Body,
            (int)BufferType.GrpcReceiveBuffer => vm.GrpcMessage,
            (int)BufferType.VmConfiguration => vm.Config.VmConfiguration,
            (int)BufferType.PluginConfiguration => vm.Config.Configuration,
            (int)BufferType.CallData => vm.ForeignArguments,
            _ => null,
        };
        buffer = memory is { } value ? value.Span : default;
        return memory is not null;
    }
}
