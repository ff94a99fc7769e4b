using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Vm;
using Wasmtime;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Logging, clocks, timers, context switching and stream control.</summary>
internal static class CoreFunctions
{
    public static int ProxyLog(Caller caller, int level, int messagePointer, int messageSize)
    {
        var vm = Unrestricted(caller);
        if ((uint)level > 5)
        {
            return BadArgument;
        }

        var logLevel = ToLogLevel(level);
        if (!vm.Logger.IsEnabled(logLevel))
        {
            return Ok;
        }

        if (!vm.TryReadString(messagePointer, messageSize, out var message))
        {
            return InvalidMemoryAccess;
        }

        Log.FilterMessage(vm.Logger, logLevel, vm.Config.Name, message);
        return Ok;
    }

    public static int ProxyGetLogLevel(Caller caller, int returnLevel)
    {
        if (!Enter(caller, out var vm))
        {
            return InternalFailure;
        }

        var level = 5;
        for (var candidate = 0; candidate <= 5; candidate++)
        {
            if (vm.Logger.IsEnabled(ToLogLevel(candidate)))
            {
                level = candidate;
                break;
            }
        }

        return vm.TryWriteUInt32(returnLevel, (uint)level) ? Ok : InvalidMemoryAccess;
    }

    public static int ProxyGetCurrentTimeNanoseconds(Caller caller, int returnTime)
    {
        var vm = Unrestricted(caller);
        return vm.TryWriteUInt64(returnTime, UnixNanoseconds(vm.Runtime.TimeProvider.GetUtcNow())) ? Ok : InvalidMemoryAccess;
    }

    public static int ProxySetTickPeriodMilliseconds(Caller caller, int period)
    {
        if (!Enter(caller, out var vm))
        {
            return InternalFailure;
        }

        vm.SetTickPeriod(TimeSpan.FromMilliseconds((uint)period));
        return Ok;
    }

    public static int ProxySetEffectiveContext(Caller caller, int contextId)
    {
        if (!Enter(caller, out var vm))
        {
            return InternalFailure;
        }

        if (!vm.TryGetContext(contextId, out var context))
        {
            return BadArgument;
        }

        vm.Current = context;
        return Ok;
    }

    public static int ProxyDone(Caller caller) => Enter(caller, out _) ? Ok : InternalFailure;

    public static int ProxyContinueStream(Caller caller, int streamType)
    {
        if (!Enter(caller, out var vm))
        {
            return InternalFailure;
        }

        return Resume(vm, streamType, close: false);
    }

    public static int ProxyCloseStream(Caller caller, int streamType)
    {
        if (!Enter(caller, out var vm))
        {
            return InternalFailure;
        }

        return Resume(vm, streamType, close: true);
    }

    public static int ProxyContinueRequest(Caller caller) => ProxyContinueStream(caller, (int)StreamType.HttpRequest);

    public static int ProxyContinueResponse(Caller caller) => ProxyContinueStream(caller, (int)StreamType.HttpResponse);

    public static int ProxyClearRouteCache(Caller caller) => Enter(caller, out _) ? Ok : InternalFailure;

    public static int ProxyGetStatus(Caller caller, int returnCode, int returnMessagePointer, int returnMessageSize)
    {
        if (!Enter(caller, out var vm))
        {
            return InternalFailure;
        }

        // Only a closing gRPC call carries a status here; elsewhere it is "OK, no message".
        var (code, message) = vm.CallStatus ?? (0, string.Empty);
        if (!vm.TryWriteUInt32(returnCode, (uint)code))
        {
            return InvalidMemoryAccess;
        }

        return (int)vm.CopyOut(System.Text.Encoding.UTF8.GetBytes(message), returnMessagePointer, returnMessageSize);
    }

    public static int ProxySendLocalResponse(
        Caller caller,
        int statusCode,
        int detailsPointer,
        int detailsSize,
        int bodyPointer,
        int bodySize,
        int headersPointer,
        int headersSize,
        int grpcStatus)
    {
        if (!Enter(caller, out var vm))
        {
            return InternalFailure;
        }

        var context = vm.Current;
        if (context.Host is null || context.LocalResponse is not null)
        {
            // Root contexts have no stream; a second local reply would stall the stream (cpp-host PR #423).
            return BadArgument;
        }

        if (!vm.TryReadString(detailsPointer, detailsSize, out var details)
            || !vm.TryGetSpan(bodyPointer, bodySize, out var body)
            || !vm.TryGetSpan(headersPointer, headersSize, out var serializedHeaders))
        {
            return InvalidMemoryAccess;
        }

        var headers = new HeaderMap();
        if (!Abi.PairsCodec.TryParse(serializedHeaders, vm.Config.Limits.MaxPairsBytes, vm.Config.Limits.MaxPairsCount, headers)
            || !HeaderValidation.AllAllowed(vm, "proxy_send_local_response", headers))
        {
            return BadArgument;
        }

        if (statusCode is < 100 or > 999)
        {
            return BadArgument;
        }

        var response = new LocalResponse(statusCode, details, body.ToArray(), headers, grpcStatus);
        context.LocalResponse = response;
        try
        {
            context.Host.SendLocalResponse(response);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            vm.Fail("proxy_send_local_response", $"the data plane could not send the local response: {ex.Message}");
            return InternalFailure;
        }

        return Ok;
    }

    public static int EmscriptenNotifyMemoryGrowth(Caller caller, int memoryIndex) => 0;

    public static int PthreadEqual(int left, int right) => left == right ? 1 : 0;

    internal static ulong UnixNanoseconds(DateTimeOffset time) => (ulong)(time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100UL;

    private static int Resume(ProxyWasmVm vm, int streamType, bool close)
    {
        if ((uint)streamType > 3)
        {
            return BadArgument;
        }

        var host = vm.Current.Host;
        if (host is null)
        {
            return BadArgument;
        }

        // As Envoy: an upstream (TCP write path) pause cannot be resumed by the filter; new upstream data carries it on.
        if (!close && streamType == (int)StreamType.Upstream)
        {
            return Unimplemented;
        }

        try
        {
            if (close)
            {
                host.CloseStream((StreamType)streamType);
            }
            else
            {
                host.ContinueStream((StreamType)streamType);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            vm.Fail(close ? "proxy_close_stream" : "proxy_continue_stream", $"the data plane failed to act on it: {ex.Message}");
            return InternalFailure;
        }

        return Ok;
    }

    private static LogLevel ToLogLevel(int level) => level switch
    {
        0 => LogLevel.Trace,
        1 => LogLevel.Debug,
        2 => LogLevel.Information,
        3 => LogLevel.Warning,
        4 => LogLevel.Error,
        _ => LogLevel.Critical,
    };
}
