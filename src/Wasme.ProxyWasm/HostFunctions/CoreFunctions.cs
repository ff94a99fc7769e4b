using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Vm;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Logging, clocks, timers, context switching and stream control.</summary>
internal static class CoreFunctions
{
    public static int ProxyLog(ProxyWasmVm vm, int level, int messagePointer, int messageSize)
    {
        if ((uint)level > 5)
        {
            return BadArgument;
        }

        var logLevel = ToLogLevel(level);
        if (!vm.Logger.IsEnabled(logLevel))
        {
            return Ok;
        }

        if (!vm.TryGetSpan(messagePointer, messageSize, out var message))
        {
            return InvalidMemoryAccess;
        }

        var limit = vm.Config.Limits.MaxLogMessageBytes;
        if (message.Length > limit && vm.FirstRefusal(GuestRefusals.LogTruncated))
        {
            Log.LogMessageTruncated(vm.Logger, vm.Config.Name, message.Length, limit);
        }

        var line = GuestLogText.Format(message[..Math.Min(message.Length, limit)], message.Length);
        Log.FilterMessage(vm.Logger, logLevel, vm.Config.Name, line);
        return Ok;
    }

    public static int ProxyGetLogLevel(ProxyWasmVm vm, int returnLevel)
    {
        if (!Enter(vm))
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

    public static int ProxyGetCurrentTimeNanoseconds(ProxyWasmVm vm, int returnTime)
    {
        return vm.TryWriteUInt64(returnTime, UnixNanoseconds(vm.Runtime.TimeProvider.GetUtcNow())) ? Ok : InvalidMemoryAccess;
    }

    public static int ProxySetTickPeriodMilliseconds(ProxyWasmVm vm, int period)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        vm.SetTickPeriod(TimeSpan.FromMilliseconds((uint)period));
        return Ok;
    }

    public static int ProxySetEffectiveContext(ProxyWasmVm vm, int contextId)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryGetContext(contextId, out var context))
        {
            return BadArgument;
        }

        vm.Current = context;
        vm.EffectiveContextChanged();
        return Ok;
    }

    public static int ProxyDone(ProxyWasmVm vm) => Enter(vm) ? Ok : InternalFailure;

    public static int ProxyContinueStream(ProxyWasmVm vm, int streamType)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        return Resume(vm, streamType, close: false);
    }

    public static int ProxyCloseStream(ProxyWasmVm vm, int streamType)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        return Resume(vm, streamType, close: true);
    }

    public static int ProxyContinueRequest(ProxyWasmVm vm) => ProxyContinueStream(vm, (int)StreamType.HttpRequest);

    public static int ProxyContinueResponse(ProxyWasmVm vm) => ProxyContinueStream(vm, (int)StreamType.HttpResponse);

    public static int ProxyClearRouteCache(ProxyWasmVm vm) => Enter(vm) ? Ok : InternalFailure;

    public static int ProxyGetStatus(ProxyWasmVm vm, int returnCode, int returnMessagePointer, int returnMessageSize)
    {
        if (!Enter(vm))
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
        ProxyWasmVm vm,
        int statusCode,
        int detailsPointer,
        int detailsSize,
        int bodyPointer,
        int bodySize,
        int headersPointer,
        int headersSize,
        int grpcStatus)
    {
        if (!Enter(vm))
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

    public static int EmscriptenNotifyMemoryGrowth(ProxyWasmVm vm, int memoryIndex) => 0;

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
