using System.IO.Compression;
using Wasme.ProxyWasm.Vm;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Shared data, shared queues, metrics and foreign functions: state that outlives one call.</summary>
internal static class SharedFunctions
{
    private const int MaxUncompressedBytes = 16 * 1024 * 1024;

    public static int ProxyGetSharedData(ProxyWasmVm vm, int keyPointer, int keySize, int returnPointer, int returnSize, int returnCas)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryReadString(keyPointer, keySize, out var key) || !vm.TryGetSpan(returnCas, 4, out _))
        {
            return InvalidMemoryAccess;
        }

        if (!vm.Shared.Data.TryGet(vm.Config.VmId, key, out var value, out var cas))
        {
            return NotFound;
        }

        var status = (int)vm.CopyOut(value, returnPointer, returnSize);
        if (status == Ok)
        {
            vm.TryWriteUInt32(returnCas, cas);
        }

        return status;
    }

    public static int ProxySetSharedData(ProxyWasmVm vm, int keyPointer, int keySize, int valuePointer, int valueSize, int cas)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryReadString(keyPointer, keySize, out var key) || !vm.TryGetSpan(valuePointer, valueSize, out var value))
        {
            return InvalidMemoryAccess;
        }

        var limit = vm.Runtime.Options.MaxSharedDataBytes;
        switch (vm.Shared.Data.TrySet(vm.Config.VmId, key, value.ToArray(), (uint)cas, limit))
        {
            case Shared.SharedDataWrite.Stored:
                return Ok;
            case Shared.SharedDataWrite.CasMismatch:
                return CasMismatch;
            default:
                if (vm.FirstSharedStateRefusal())
                {
                    Log.SharedStateFull(vm.Logger, vm.Config.Name, "proxy_set_shared_data", "shared data of VM id '" + vm.Config.VmId + "'", limit, nameof(ProxyWasmRuntimeOptions.MaxSharedDataBytes));
                }

                return InternalFailure;
        }
    }

    public static int ProxyRegisterSharedQueue(ProxyWasmVm vm, int namePointer, int nameSize, int returnQueueId)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryReadString(namePointer, nameSize, out var name) || !vm.TryGetSpan(returnQueueId, 4, out _))
        {
            return InvalidMemoryAccess;
        }

        vm.TryWriteUInt32(returnQueueId, (uint)vm.Shared.Queues.Register(vm.Config.VmId, name, vm));
        return Ok;
    }

    public static int ProxyResolveSharedQueue(ProxyWasmVm vm, int vmIdPointer, int vmIdSize, int namePointer, int nameSize, int returnQueueId)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryReadString(vmIdPointer, vmIdSize, out var vmId) || !vm.TryReadString(namePointer, nameSize, out var name)
            || !vm.TryGetSpan(returnQueueId, 4, out _))
        {
            return InvalidMemoryAccess;
        }

        if (!vm.Shared.Queues.TryResolve(vmId, name, out var id))
        {
            return NotFound;
        }

        vm.TryWriteUInt32(returnQueueId, (uint)id);
        return Ok;
    }

    public static int ProxyEnqueueSharedQueue(ProxyWasmVm vm, int queueId, int valuePointer, int valueSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryGetSpan(valuePointer, valueSize, out var value))
        {
            return InvalidMemoryAccess;
        }

        var limit = vm.Runtime.Options.MaxSharedQueueBytes;
        switch (vm.Shared.Queues.TryEnqueue(queueId, value.ToArray(), limit))
        {
            case true:
                return Ok;
            case false:
                return NotFound;
            default:
                if (vm.FirstSharedStateRefusal())
                {
                    Log.SharedStateFull(vm.Logger, vm.Config.Name, "proxy_enqueue_shared_queue", $"shared queue {queueId}", limit, nameof(ProxyWasmRuntimeOptions.MaxSharedQueueBytes));
                }

                return InternalFailure;
        }
    }

    public static int ProxyDequeueSharedQueue(ProxyWasmVm vm, int queueId, int returnPointer, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        return vm.Shared.Queues.TryDequeue(queueId, out var value) switch
        {
            null => NotFound,
            false => Empty,
            true => (int)vm.CopyOut(value, returnPointer, returnSize),
        };
    }

    public static int ProxyDefineMetric(ProxyWasmVm vm, int metricType, int namePointer, int nameSize, int returnMetricId)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if ((uint)metricType > (uint)MetricType.Histogram)
        {
            return BadArgument;
        }

        if (!vm.TryReadString(namePointer, nameSize, out var name) || !vm.TryGetSpan(returnMetricId, 4, out _))
        {
            return InvalidMemoryAccess;
        }

        // Metrics live in the host for its whole life and are listed on every /stats request.
        var options = vm.Runtime.Options;
        if (nameSize > options.MaxMetricNameBytes)
        {
            return BadArgument;
        }

        var id = vm.Shared.Metrics.Define((MetricType)metricType, name, options.MaxMetrics);
        if (id < 0)
        {
            if (vm.FirstMetricRefusal())
            {
                Log.MetricLimitReached(vm.Logger, vm.Config.Name, options.MaxMetrics);
            }

            return InternalFailure;
        }

        vm.TryWriteUInt32(returnMetricId, (uint)id);
        return Ok;
    }

    public static int ProxyIncrementMetric(ProxyWasmVm vm, int metricId, long offset)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.Shared.Metrics.TryGet(metricId, out var metric))
        {
            return NotFound;
        }

        return metric.Increment(offset) ? Ok : BadArgument;
    }

    public static int ProxyRecordMetric(ProxyWasmVm vm, int metricId, long value)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.Shared.Metrics.TryGet(metricId, out var metric))
        {
            return NotFound;
        }

        metric.Record(value);
        return Ok;
    }

    public static int ProxyGetMetric(ProxyWasmVm vm, int metricId, int returnValue)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.Shared.Metrics.TryGet(metricId, out var metric))
        {
            return NotFound;
        }

        // As Envoy: a histogram has no single value to read.
        if (metric.Type == MetricType.Histogram)
        {
            return BadArgument;
        }

        return vm.TryWriteUInt64(returnValue, (ulong)metric.Value) ? Ok : InvalidMemoryAccess;
    }

    /// <summary>The Envoy foreign functions that make sense without Envoy: zlib compress/uncompress and a few no-ops.</summary>
    public static int ProxyCallForeignFunction(ProxyWasmVm vm, int namePointer, int nameSize, int argumentsPointer, int argumentsSize, int returnPointer, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryReadString(namePointer, nameSize, out var name) || !vm.TryGetSpan(argumentsPointer, argumentsSize, out var arguments))
        {
            return InvalidMemoryAccess;
        }

        switch (name)
        {
            case "compress":
                return (int)vm.CopyOut(Compress(arguments), returnPointer, returnSize);
            case "uncompress":
                var uncompressed = Uncompress(arguments.ToArray());
                return uncompressed is null ? SerializationFailure : (int)vm.CopyOut(uncompressed, returnPointer, returnSize);
            case "clear_route_cache":
            case "declare_property":
            case "set_envoy_filter_state":
                return (int)vm.CopyOut([], returnPointer, returnSize);
            default:
                return NotFound;
        }
    }

    private static byte[] Compress(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static byte[]? Uncompress(byte[] data)
    {
        try
        {
            using var input = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                if (output.Length + read > MaxUncompressedBytes)
                {
                    return null;
                }

                output.Write(buffer, 0, read);
            }

            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
