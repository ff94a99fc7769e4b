using System.Buffers;
using System.Text;
using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Vm;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Header, trailer and http_call response maps, with Envoy's semantics (see <see cref="HeaderMap"/>).</summary>
internal static class MapFunctions
{
    public static int ProxyGetHeaderMapSize(ProxyWasmVm vm, int mapType, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!TryGetMap(vm, mapType, out var map))
        {
            return BadArgument;
        }

        var size = map is null || map.Count == 0 ? 0 : PairsCodec.SerializedSize(map);
        return vm.TryWriteUInt32(returnSize, (uint)size) ? Ok : InvalidMemoryAccess;
    }

    public static int ProxyGetHeaderMapPairs(ProxyWasmVm vm, int mapType, int returnPointer, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!TryGetMap(vm, mapType, out var map))
        {
            return BadArgument;
        }

        if (map is null || map.Count == 0)
        {
            return (int)vm.CopyOut([], returnPointer, returnSize);
        }

        var buffer = PairsCodec.SerializePooled(map, out var length);
        try
        {
            return (int)vm.CopyOut(buffer.AsSpan(0, length), returnPointer, returnSize);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static int ProxySetHeaderMapPairs(ProxyWasmVm vm, int mapType, int pairsPointer, int pairsSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!TryGetWritableMap(vm, mapType, out var map) || map is null)
        {
            return BadArgument;
        }

        if (!vm.TryGetSpan(pairsPointer, pairsSize, out var data))
        {
            return InvalidMemoryAccess;
        }

        var parsed = new HeaderMap();
        if (!PairsCodec.TryParse(data, vm.Config.Limits.MaxPairsBytes, vm.Config.Limits.MaxPairsCount, parsed))
        {
            return BadArgument;
        }

        if (!HeaderValidation.AllAllowed(vm, "proxy_set_header_map_pairs", parsed))
        {
            return BadArgument;
        }

        map.Clear();
        foreach (var pair in parsed)
        {
            map.AddLowered(pair.Key, pair.Value);
        }

        return Ok;
    }

    public static int ProxyGetHeaderMapValue(ProxyWasmVm vm, int mapType, int keyPointer, int keySize, int returnPointer, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!TryGetMap(vm, mapType, out var map))
        {
            return BadArgument;
        }

        if (!vm.TryGetSpan(keyPointer, keySize, out var keyBytes))
        {
            return InvalidMemoryAccess;
        }

        // Header names are ASCII: look them up without a string per call; anything else takes the string path.
        string? value = null;
        var found = map is not null && (System.Text.Ascii.IsValid(keyBytes)
            ? map.TryGetValue((ReadOnlySpan<byte>)keyBytes, out value)
            : map.TryGetValue(Encoding.UTF8.GetString(keyBytes), out value));
        if (!found || value is null)
        {
            // ABI 0.1.0 answered a missing header with OK and an empty value.
            return vm.Module.Abi.Version == AbiVersion.V010 ? (int)vm.CopyOut([], returnPointer, returnSize) : NotFound;
        }

        return (int)vm.CopyOut(value, returnPointer, returnSize);
    }

    public static int ProxyAddHeaderMapValue(ProxyWasmVm vm, int mapType, int keyPointer, int keySize, int valuePointer, int valueSize)
        => Write(vm, mapType, keyPointer, keySize, valuePointer, valueSize, "proxy_add_header_map_value", static (map, key, value) => map.AddLowered(key, value), static (_, _) => true);

    public static int ProxyReplaceHeaderMapValue(ProxyWasmVm vm, int mapType, int keyPointer, int keySize, int valuePointer, int valueSize)
        => Write(vm, mapType, keyPointer, keySize, valuePointer, valueSize, "proxy_replace_header_map_value", static (map, key, value) => map.Set(key, value), static (map, key) => !map.ContainsKey(key));

    public static int ProxyRemoveHeaderMapValue(ProxyWasmVm vm, int mapType, int keyPointer, int keySize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!TryGetWritableMap(vm, mapType, out var map) || map is null)
        {
            return BadArgument;
        }

        if (!vm.TryReadHeaderString(keyPointer, keySize, out var key))
        {
            return InvalidMemoryAccess;
        }

        map.Remove(key);
        return Ok;
    }

    private static int Write(ProxyWasmVm vm, int mapType, int keyPointer, int keySize, int valuePointer, int valueSize, string function, Action<HeaderMap, string, string> write, Func<HeaderMap, string, bool> appends)
    {
        if (!Enter(vm, function))
        {
            return InternalFailure;
        }

        if (!TryGetWritableMap(vm, mapType, out var map) || map is null)
        {
            return BadArgument;
        }

        if (!vm.TryReadHeaderString(keyPointer, keySize, out var key, out var keyChecks)
            || !vm.TryReadHeaderString(valuePointer, valueSize, out var value, out var valueChecks))
        {
            return InvalidMemoryAccess;
        }

        // Strings the guest writes on every request come from the VM's cache, checked once when they were first read.
        if (((keyChecks & valueChecks & HeaderText.Allowed) == 0) && !HeaderValidation.IsAllowed(vm, function, key, value))
        {
            return BadArgument;
        }

        // Written lower case, as every map write lowers its key.
        if ((keyChecks & HeaderText.LowerCase) == 0)
        {
            key = HeaderMap.Lower(key);
        }

        // Entries a filter appends to a stream's maps stay until the stream ends: bounded per stream, as a serialized map
        // is. A replace of an existing key does not grow the map. The root context only writes maps of one call's answer.
        var context = vm.Current;
        if (!context.IsRoot && appends(map, key))
        {
            var limit = vm.Config.Limits.MaxPairsBytes;
            var total = context.AddedHeaderBytes + key.Length + value.Length + HeaderMap.EntryOverhead;
            if (total > limit)
            {
                if (vm.FirstRefusal(GuestRefusals.HeaderLimit))
                {
                    Log.HeaderLimitReached(vm.Logger, vm.Config.Name, limit);
                }

                return InternalFailure;
            }

            context.AddedHeaderBytes = total;
        }

        write(map, key, value);
        return Ok;
    }

    /// <summary>
    /// Finds the map a type names in the current context. False for an unknown type; a known map that this
    /// stream has not seen yet comes back as null (reads see it empty, writes are BAD_ARGUMENT).
    /// </summary>
    /// <summary>Received gRPC metadata is read-only, as in Envoy (its mutable map look-up has no gRPC maps).</summary>
    private static bool TryGetWritableMap(ProxyWasmVm vm, int mapType, out HeaderMap? map)
    {
        map = null;
        return mapType is not ((int)MapType.GrpcReceiveInitialMetadata or (int)MapType.GrpcReceiveTrailingMetadata)
            && TryGetMap(vm, mapType, out map);
    }

    private static bool TryGetMap(ProxyWasmVm vm, int mapType, out HeaderMap? map)
    {
        var context = vm.Current;
        switch (mapType)
        {
            case (int)MapType.HttpRequestHeaders:
                map = vm.RequestHeadersOf(context);
                return true;
            case (int)MapType.HttpRequestTrailers:
                map = context.RequestTrailers;
                return true;
            case (int)MapType.HttpResponseHeaders:
                map = context.ResponseHeaders;
                return true;
            case (int)MapType.HttpResponseTrailers:
                map = context.ResponseTrailers;
                return true;
            case (int)MapType.HttpCallResponseHeaders:
                map = vm.CallResponse?.Headers;
                return true;
            case (int)MapType.HttpCallResponseTrailers:
                map = vm.CallResponse?.Trailers;
                return true;
            case (int)MapType.GrpcReceiveInitialMetadata:
                map = vm.GrpcInitialMetadata;
                return true;
            case (int)MapType.GrpcReceiveTrailingMetadata:
                map = vm.GrpcTrailingMetadata;
                return true;
            default:
                map = null;
                return false;
        }
    }
}
