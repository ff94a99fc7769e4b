using System.Buffers.Binary;
using System.Text;
using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Vm;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>
/// Properties, answered as Envoy answers them: paths are <c>\0</c>-joined segments, strings are raw UTF-8,
/// integers 8 little-endian bytes, booleans one byte, timestamps and durations int64 nanoseconds, maps in the pairs
/// format. Both the current (CEL) and the older top-level spellings are accepted.
/// </summary>
internal static class PropertyFunctions
{
    public static int ProxyGetProperty(ProxyWasmVm vm, int pathPointer, int pathSize, int returnPointer, int returnSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryGetSpan(pathPointer, pathSize, out var pathBytes))
        {
            return InvalidMemoryAccess;
        }

        var path = Encoding.UTF8.GetString(pathBytes);
        var value = PropertyResolver.Resolve(vm, vm.Current, path);
        return value is null ? NotFound : (int)vm.CopyOut(value, returnPointer, returnSize);
    }

    public static int ProxySetProperty(ProxyWasmVm vm, int pathPointer, int pathSize, int valuePointer, int valueSize)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryGetSpan(pathPointer, pathSize, out var pathBytes) || !vm.TryGetSpan(valuePointer, valueSize, out var value))
        {
            return InvalidMemoryAccess;
        }

        var context = vm.Current;
        var limit = vm.Config.Limits.MaxPropertyBytes;
        var cost = Cost(pathBytes.Length, value.Length);
        if (cost > limit)
        {
            return RefuseProperty(vm, context, limit);
        }

        var path = Encoding.UTF8.GetString(pathBytes);
        var properties = context.Properties ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var replaced = properties.TryGetValue(path, out var old) ? Cost(pathBytes.Length, old.Length) : 0;
        var total = context.PropertyBytes - replaced + cost;
        if (total > limit)
        {
            return RefuseProperty(vm, context, limit);
        }

        properties[path] = value.ToArray();
        context.PropertyBytes = total;
        return Ok;
    }

    private static int RefuseProperty(ProxyWasmVm vm, ContextState context, int limit)
    {
        if (vm.FirstRefusal(GuestRefusals.PropertyLimit))
        {
            Log.PropertyLimitReached(vm.Logger, vm.Config.Name, context.IsRoot ? "the root context" : "a stream context", limit);
        }

        return InternalFailure;
    }

    private static long Cost(int pathLength, int valueLength) => (long)pathLength + valueLength + PluginLimits.PropertyEntryOverhead;
}

/// <summary>Computes property values from the stream's maps, its <see cref="StreamInfo"/> and the plugin configuration.</summary>
internal static class PropertyResolver
{
    private static readonly string[] KnownRoots = ["request", "response", "source", "destination", "connection", "node", "xds", "upstream"];

    public static byte[]? Resolve(ProxyWasmVm vm, ContextState context, string path)
    {
        if (context.Properties is { } own && own.TryGetValue(path, out var stored))
        {
            return stored;
        }

        if (vm.Root.Properties is { } rootProperties && rootProperties.TryGetValue(path, out stored))
        {
            return stored;
        }

        var segments = Split(path);
        if (segments.Length == 0)
        {
            return null;
        }

        var info = context.Host?.Info;
        var config = vm.Config;
        return segments[0] switch
        {
            "plugin_name" => Text(config.Name),
            "plugin_root_id" => Text(config.RootId),
            "plugin_vm_id" => Text(config.VmId),
            "connection_id" => info is null ? null : Int64((long)info.ConnectionId),
            "cluster_name" => Text(info?.ClusterName),
            "route_name" => Text(info?.RouteName),
            "route_metadata" => Tree(info?.RouteMetadata, segments, 1),
            "listener_direction" => Int64(1),
            "request" => Request(vm, context, info, segments),
            "response" => Response(context, info, segments),
            "source" => Endpoint(info?.SourceAddress, info?.SourcePort ?? 0, segments),
            "destination" => Endpoint(info?.DestinationAddress, info?.DestinationPort ?? 0, segments),
            "connection" => Connection(info, segments),
            "node" => Tree(config.NodeProperties, segments, 1),
            "xds" => segments.Length > 1 ? segments[1] switch
            {
                "node" => Tree(config.NodeProperties, segments, 2),
                "cluster_name" => Text(info?.ClusterName),
                "route_name" => Text(info?.RouteName),
                "route_metadata" => Tree(info?.RouteMetadata, segments, 2),
                "listener_direction" => Int64(1),
                _ => null,
            } : null,
            _ => null,
        };
    }

    private static string[] Split(string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return path.TrimEnd('\0').Split('\0');
        }

        // Some SDKs and hand-written filters use dotted paths; accept them for the well-known roots.
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && Array.IndexOf(KnownRoots, path[..dot]) >= 0)
        {
            var segments = path.Split('.', 3);
            return segments;
        }

        return [path];
    }

    private static byte[]? Request(ProxyWasmVm vm, ContextState context, StreamInfo? info, string[] segments)
    {
        if (segments.Length < 2)
        {
            return null;
        }

        var headers = vm.RequestHeadersOf(context);
        var start = info?.StartTime ?? context.CreatedAt;
        return segments[1] switch
        {
            "path" => Header(headers, ":path"),
            "url_path" => Header(headers, ":path") is { } pathBytes ? Text(StripQuery(Encoding.UTF8.GetString(pathBytes))) : null,
            "query" => Query(headers),
            "host" => Header(headers, ":authority") ?? Header(headers, "host"),
            "scheme" => Header(headers, ":scheme"),
            "method" => Header(headers, ":method"),
            "referer" => Header(headers, "referer"),
            "useragent" => Header(headers, "user-agent"),
            "id" => Header(headers, "x-request-id") ?? Text(info?.RequestId),
            "protocol" => info is null ? null : Text(info.Protocol),
            "time" => Int64(checked((long)CoreFunctions.UnixNanoseconds(start))),
            "duration" => Int64((vm.Runtime.TimeProvider.GetUtcNow() - start).Ticks * 100),
            "size" => info is null ? null : Int64(info.RequestBodySize),
            "total_size" => info is null ? null : Int64(info.RequestBodySize + HeadersSize(headers)),
            "headers" => MapOrValue(headers, segments),
            _ => null,
        };
    }

    private static byte[]? Response(ContextState context, StreamInfo? info, string[] segments)
    {
        if (segments.Length < 2)
        {
            return null;
        }

        var headers = context.ResponseHeaders;
        return segments[1] switch
        {
            "code" => context.LocalResponse is { } local
                ? Int64(local.StatusCode)
                : headers is not null && headers.TryGetValue(":status", out var status) && long.TryParse(status, out var code) ? Int64(code) : null,
            "code_details" => Text(context.LocalResponse?.Details ?? (headers is null ? null : "via_upstream")),
            "grpc_status" => headers is not null && headers.TryGetValue("grpc-status", out var grpc) && long.TryParse(grpc, out var grpcCode) ? Int64(grpcCode) : null,
            "headers" => MapOrValue(headers, segments),
            "trailers" => MapOrValue(context.ResponseTrailers, segments),
            "size" => info is null ? null : Int64(info.ResponseBodySize),
            "total_size" => info is null ? null : Int64(info.ResponseBodySize + HeadersSize(headers)),
            _ => null,
        };
    }

    private static byte[]? Endpoint(string? address, int port, string[] segments)
    {
        if (segments.Length < 2 || address is null)
        {
            return null;
        }

        return segments[1] switch
        {
            // Envoy's source.address / destination.address include the port.
            "address" => Text(port > 0 ? $"{address}:{port}" : address),
            "port" => Int64(port),
            _ => null,
        };
    }

    private static byte[]? Connection(StreamInfo? info, string[] segments)
    {
        if (segments.Length < 2 || info is null)
        {
            return null;
        }

        return segments[1] switch
        {
            "id" => Int64((long)info.ConnectionId),
            "mtls" => [0],
            "tls_version" => info.IsTls ? Text("TLSv1.3") : null,
            "requested_server_name" => Text(info.RequestedServerName ?? ""),
            _ => null,
        };
    }

    /// <summary>
    /// A value below a configured tree of dotted paths (<c>node.metadata.KEY</c>, <c>xds.route_metadata.filter_metadata.NS.KEY</c>):
    /// a full path returns its value, a prefix the map of what lies below it.
    /// </summary>
    private static byte[]? Tree(IReadOnlyDictionary<string, string>? values, string[] segments, int from)
    {
        if (values is null || segments.Length <= from)
        {
            return null;
        }

        var key = string.Join('.', segments, from, segments.Length - from);
        if (values.TryGetValue(key, out var value))
        {
            return Text(value);
        }

        var prefix = key + ".";
        HeaderMap? map = null;
        foreach (var (name, entry) in values)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                (map ??= new HeaderMap()).AddLowered(name[prefix.Length..], entry);
            }
        }

        return map is null ? null : PairsCodec.Serialize(map);
    }

    private static byte[]? MapOrValue(HeaderMap? headers, string[] segments)
    {
        if (headers is null)
        {
            return null;
        }

        if (segments.Length < 3)
        {
            // Envoy joins repeated values with commas in the map form.
            var joined = new HeaderMap(headers.Count);
            foreach (var (key, value) in headers)
            {
                var index = joined.IndexOf(key);
                if (index < 0)
                {
                    joined.AddLowered(key, value);
                }
                else
                {
                    joined.Set(key, joined[index].Value + "," + value);
                }
            }

            return PairsCodec.Serialize(joined);
        }

        var values = headers.GetValues(segments[2]);
        return values.Count == 0 ? null : Text(string.Join(',', values));
    }

    private static byte[]? Header(HeaderMap? headers, string name)
        => headers is not null && headers.TryGetValue(name, out var value) ? Text(value) : null;

    private static byte[]? Query(HeaderMap? headers)
    {
        if (headers is null || !headers.TryGetValue(":path", out var path))
        {
            return null;
        }

        var index = path.IndexOf('?', StringComparison.Ordinal);
        return Text(index < 0 ? "" : path[(index + 1)..]);
    }

    private static string StripQuery(string path)
    {
        var index = path.IndexOf('?', StringComparison.Ordinal);
        return index < 0 ? path : path[..index];
    }

    private static long HeadersSize(HeaderMap? headers)
    {
        if (headers is null)
        {
            return 0;
        }

        long size = 0;
        foreach (var (key, value) in headers)
        {
            size += key.Length + value.Length;
        }

        return size;
    }

    private static byte[]? Text(string? value) => value is null ? null : Encoding.UTF8.GetBytes(value);

    private static byte[] Int64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }
}
