using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Vm;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Outbound calls: <c>proxy_http_call</c> through <see cref="IHttpCallDispatcher"/> (gRPC: <see cref="GrpcFunctions"/>).</summary>
internal static class CallFunctions
{
    public static int ProxyHttpCall(
        ProxyWasmVm vm,
        int upstreamPointer,
        int upstreamSize,
        int headersPointer,
        int headersSize,
        int bodyPointer,
        int bodySize,
        int trailersPointer,
        int trailersSize,
        int timeoutMilliseconds,
        int returnCallId)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryReadString(upstreamPointer, upstreamSize, out var cluster)
            || !vm.TryGetSpan(headersPointer, headersSize, out var serializedHeaders)
            || !vm.TryGetSpan(trailersPointer, trailersSize, out var serializedTrailers)
            || !vm.TryGetSpan(returnCallId, 4, out _))
        {
            return InvalidMemoryAccess;
        }

        // Envoy takes the timeout as a signed int: a negative one is the guest's error, not a 49-day wait.
        if (timeoutMilliseconds < 0)
        {
            return BadArgument;
        }

        var limits = vm.Config.Limits;
        var headers = new HeaderMap();
        var trailers = new HeaderMap();
        if (!PairsCodec.TryParse(serializedHeaders, limits.MaxPairsBytes, limits.MaxPairsCount, headers)
            || !PairsCodec.TryParse(serializedTrailers, limits.MaxPairsBytes, limits.MaxPairsCount, trailers)
            || !HeaderValidation.AllAllowed(vm, "proxy_http_call", headers)
            || !HeaderValidation.AllAllowed(vm, "proxy_http_call", trailers))
        {
            return BadArgument;
        }

        // Envoy refuses calls without these pseudo-headers, and calls to clusters it does not know.
        if (!headers.ContainsKey(":method") || !headers.ContainsKey(":path") || !headers.ContainsKey(":authority")
            || vm.HttpCalls is null || !vm.HttpCalls.HasCluster(cluster))
        {
            return BadArgument;
        }

        if (!vm.TryGetSpan(bodyPointer, bodySize, out var body))
        {
            return InvalidMemoryAccess;
        }

        if (!vm.TryReserveHttpCall())
        {
            return InternalFailure;
        }

        var timeout = timeoutMilliseconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(timeoutMilliseconds);
        var callId = vm.StartHttpCall(new HttpCallRequest(cluster, headers, body.ToArray(), trailers), timeout);
        vm.TryWriteUInt32(returnCallId, (uint)callId);
        return Ok;
    }
}
