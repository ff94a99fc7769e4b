using Microsoft.Extensions.Logging;
using Wasme.ProxyWasm.Abi;

namespace Wasme.ProxyWasm.Vm;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Message = "[{Plugin}] {Message}")]
    public static partial void FilterMessage(ILogger logger, LogLevel level, string plugin, string message);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Plugin '{Plugin}' VM failed in {Function}: {Reason}")]
    public static partial void VmFailed(ILogger logger, string plugin, string function, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' VM is being reloaded after a failure (reload #{Count})")]
    public static partial void VmReloading(ILogger logger, string plugin, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Plugin '{Plugin}' could not be reloaded; next attempt in {Backoff}: {Reason}")]
    public static partial void ReloadFailed(ILogger logger, string plugin, TimeSpan backoff, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Precompiled module cache entry {Path} is unusable and was replaced: {Reason}")]
    public static partial void CacheEntryUnusable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Could not write precompiled module cache entry {Path}: {Reason}")]
    public static partial void CacheWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Precompiled module cache disabled: {Reason}")]
    public static partial void CacheDisabled(ILogger logger, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' http_call {CallId} to '{Cluster}' failed: {Reason}")]
    public static partial void HttpCallFailed(ILogger logger, string plugin, int callId, string cluster, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Plugin '{Plugin}' read its {Length}-byte configuration passing the size as the size pointer (AssemblyScript proxy-runtime 0.1.x); only the data pointer was written")]
    public static partial void SizeAsPointerConfiguration(ILogger logger, string plugin, int length);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' called {Function} with a header {Part} containing CR, LF or NUL (header '{Header}'); refused with BAD_ARGUMENT and nothing was changed")]
    public static partial void HeaderRefused(ILogger logger, string plugin, string function, string header, string part);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Plugin '{Plugin}' enters the VM once per stream callback: the stream trampoline could not be instantiated ({Reason})")]
    public static partial void StreamTrampolineUnavailable(ILogger logger, string plugin, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' has {Limit} http_calls in flight; further calls are refused with INTERNAL_FAILURE until answers arrive (PluginLimits.MaxCallsInFlight)")]
    public static partial void HttpCallLimitReached(ILogger logger, string plugin, int limit);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' called {Function} but the {Store} would pass {Limit} bytes; refused with INTERNAL_FAILURE (raise ProxyWasmRuntimeOptions.{Option} if the filter needs more)")]
    public static partial void SharedStateFull(ILogger logger, string plugin, string function, string store, long limit, string option);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' defined a new metric but {Limit} metrics exist already; refused with INTERNAL_FAILURE (ProxyWasmRuntimeOptions.MaxMetrics)")]
    public static partial void MetricLimitReached(ILogger logger, string plugin, int limit);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' has {Limit} gRPC calls and streams open; further ones are refused with INTERNAL_FAILURE until some close (PluginLimits.MaxCallsInFlight)")]
    public static partial void GrpcCallLimitReached(ILogger logger, string plugin, int limit);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' called proxy_set_buffer_bytes to make {Buffer} {Length} bytes, past its limit of {Limit}; refused with INTERNAL_FAILURE and the buffer left unchanged (the limit is the data plane's body buffer limit: wasme run --max-buffered-body)")]
    public static partial void BufferLimitReached(ILogger logger, string plugin, BufferType buffer, long length, int limit);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' called proxy_set_property but the properties of {Context} would pass {Limit} bytes; refused with INTERNAL_FAILURE (PluginLimits.MaxPropertyBytes)")]
    public static partial void PropertyLimitReached(ILogger logger, string plugin, string context, int limit);

    [LoggerMessage(EventId = 18, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' logged a message of {Length} bytes; messages are cut at {Limit} bytes (PluginLimits.MaxLogMessageBytes)")]
    public static partial void LogMessageTruncated(ILogger logger, string plugin, long length, int limit);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' added header entries past {Limit} bytes in one stream (names and values, 32 bytes more each); further additions in that stream are refused with INTERNAL_FAILURE (PluginLimits.MaxPairsBytes)")]
    public static partial void HeaderLimitReached(ILogger logger, string plugin, int limit);
}
