using System.Text;
using Wasme.ProxyWasm.Vm;

namespace Wasme.ProxyWasm;

/// <summary>
/// The filter's view of one HTTP stream. Call the callbacks in stream order; the maps and buffers passed
/// in stay attached to the stream (the filter may read or change them later, for example after an
/// <c>http_call</c> completes) until replaced or the stream ends. Call <see cref="OnDone"/> when the stream
/// finishes, then dispose. Never throws for guest failures: the plugin's failure policy decides the
/// returned status (fail closed and reload send a 503 through <see cref="IStreamHost.SendLocalResponse"/>).
/// </summary>
/// <remarks>
/// Header callbacks return the filter's own status: a <see cref="FilterHeadersStatus.StopIteration"/> means
/// "pause this direction until <see cref="IStreamHost.ContinueStream"/>". After the filter sent a local response,
/// every callback returns a stop status, whatever the filter returned.
/// </remarks>
public sealed class HttpStreamContext : IDisposable
{
    private readonly ProxyWasmPlugin _plugin;
    private readonly ProxyWasmVm? _vm;
    // Dropped on dispose: the VM reuses the state for another stream.
    private ContextState? _context;
    private readonly IStreamHost _host;
    private bool _bypassed;
    private bool _failureReplySent;
    private bool _localResponseSentBeforeDispose;
    private bool _disposed;

    internal HttpStreamContext(ProxyWasmPlugin plugin, ProxyWasmVm? vm, IStreamHost host)
    {
        _plugin = plugin;
        _vm = vm;
        _host = host;
        // No VM: the plugin is failed. Fail open skips the filter; the other policies answer 503 on first use.
        _bypassed = vm is null && plugin.Configuration.FailurePolicy == FailurePolicy.FailOpen;
    }

    /// <summary>The filter is skipped for this stream (fail open after a VM failure).</summary>
    public bool IsBypassed => _bypassed && !_failureReplySent;

    /// <summary>The filter (or the failure policy) sent a local response on this stream.</summary>
    public bool LocalResponseSent => _failureReplySent || _localResponseSentBeforeDispose || _context?.LocalResponse is not null;

    /// <summary>
    /// The request headers; the guest's context for the stream is created here (<c>proxy_on_context_create</c>, then
    /// <c>proxy_on_request_headers</c>), as Envoy's Wasm filter creates it in its decodeHeaders.
    /// </summary>
    public FilterHeadersStatus OnRequestHeaders(HeaderMap headers, bool endOfStream)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var vm = _vm;
        if (_bypassed || vm is null)
        {
            return !_bypassed && FailStream() ? FilterHeadersStatus.StopIteration : FilterHeadersStatus.Continue;
        }

        lock (vm.Gate)
        {
            EnsureNotReentrant(vm);
            var context = _context;
            int raw;
            if (context is null)
            {
                context = _context = vm.BeginStream(_host, headers, endOfStream, out raw);
                if (context is null)
                {
                    return FailStream() ? FilterHeadersStatus.StopIteration : FilterHeadersStatus.Continue;
                }
            }
            else
            {
                context.RequestHeaders = headers;
                raw = vm.CallRequestHeaders(context, headers.Count, endOfStream);
            }

            return HeadersResult(vm, context, raw);
        }
    }

    public FilterDataStatus OnRequestBody(BodyBuffer body, bool endOfStream)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (Skip(out var vm, out var context, out var failed))
        {
            return failed ? FilterDataStatus.StopIterationNoBuffer : FilterDataStatus.Continue;
        }

        lock (vm.Gate)
        {
            EnsureNotReentrant(vm);
            context.RequestBody = body;
            var raw = vm.CallRequestBody(context, body.Length, endOfStream);
            return DataResult(vm, context, raw);
        }
    }

    public FilterTrailersStatus OnRequestTrailers(HeaderMap trailers)
    {
        ArgumentNullException.ThrowIfNull(trailers);
        if (Skip(out var vm, out var context, out var failed))
        {
            return failed ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
        }

        lock (vm.Gate)
        {
            EnsureNotReentrant(vm);
            context.RequestTrailers = trailers;
            var raw = vm.CallRequestTrailers(context, trailers.Count);
            return TrailersResult(vm, context, raw);
        }
    }

    public FilterHeadersStatus OnResponseHeaders(HeaderMap headers, bool endOfStream)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (Skip(out var vm, out var context, out var failed))
        {
            return failed ? FilterHeadersStatus.StopIteration : FilterHeadersStatus.Continue;
        }

        lock (vm.Gate)
        {
            EnsureNotReentrant(vm);
            context.ResponseHeaders = headers;
            var raw = vm.CallResponseHeaders(context, headers.Count, endOfStream);
            return HeadersResult(vm, context, raw);
        }
    }

    public FilterDataStatus OnResponseBody(BodyBuffer body, bool endOfStream)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (Skip(out var vm, out var context, out var failed))
        {
            return failed ? FilterDataStatus.StopIterationNoBuffer : FilterDataStatus.Continue;
        }

        lock (vm.Gate)
        {
            EnsureNotReentrant(vm);
            context.ResponseBody = body;
            var raw = vm.CallResponseBody(context, body.Length, endOfStream);
            return DataResult(vm, context, raw);
        }
    }

    public FilterTrailersStatus OnResponseTrailers(HeaderMap trailers)
    {
        ArgumentNullException.ThrowIfNull(trailers);
        if (Skip(out var vm, out var context, out var failed))
        {
            return failed ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
        }

        lock (vm.Gate)
        {
            EnsureNotReentrant(vm);
            context.ResponseTrailers = trailers;
            var raw = vm.CallResponseTrailers(context, trailers.Count);
            return TrailersResult(vm, context, raw);
        }
    }

    /// <summary>The stream is complete (or reset): runs <c>proxy_on_done</c> then <c>proxy_on_log</c>.</summary>
    public void OnDone()
    {
        if (_vm is null || _context is null || _disposed)
        {
            return;
        }

        lock (_vm.Gate)
        {
            EnsureNotReentrant(_vm);
            _vm.CallDone(_context);
        }
    }

    /// <summary>
    /// The stream is complete: <see cref="OnDone"/> then <see cref="Dispose"/> in one entry into the VM, as a data plane
    /// ends every stream (one lock acquisition instead of two on the request path).
    /// </summary>
    public void Complete()
    {
        var vm = _vm;
        if (vm is null || _context is null || _disposed)
        {
            Dispose();
            return;
        }

        lock (vm.Gate)
        {
            EnsureNotReentrant(vm);
            vm.EndStream(_context);
            TryRelease(out _);
        }
    }

    /// <summary>Runs <c>proxy_on_delete</c> and forgets the stream.</summary>
    public void Dispose()
    {
        if (_vm is not null && TryRelease(out var context))
        {
            lock (_vm.Gate)
            {
                _vm.CallDelete(context);
            }
        }
    }

    /// <summary>Marks the handle disposed; the context to delete, unless there is none or it was already released.</summary>
    private bool TryRelease([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ContextState? context)
    {
        context = _context;
        if (_disposed)
        {
            context = null;
            return false;
        }

        _disposed = true;
        if (_vm is null || context is null)
        {
            return false;
        }

        _localResponseSentBeforeDispose = context.LocalResponse is not null;
        _context = null;
        return true;
    }

    /// <summary>
    /// True when the filter must not run: the plugin had no VM for this stream, an earlier callback failed, the
    /// request headers never reached this filter (as in Envoy, a filter whose decodeHeaders did not run has no context
    /// in the guest, for example after an earlier filter's local reply, and its other callbacks pass), or the stream
    /// is disposed. <paramref name="failed"/> says whether to stop (a failure reply was sent).
    /// </summary>
    private bool Skip(out ProxyWasmVm vm, out ContextState context, out bool failed)
    {
        vm = _vm!;
        context = _context!;
        failed = false;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_bypassed)
        {
            return true;
        }

        if (_vm is null)
        {
            failed = FailStream();
            return true;
        }

        if (_context is null && _vm.Gate.IsHeldByCurrentThread)
        {
            // Called from inside this stream's own start (its context is being created): refused like any re-entry.
            EnsureNotReentrant(_vm);
        }

        return _context is null;
    }

    private FilterHeadersStatus HeadersResult(ProxyWasmVm vm, ContextState context, int raw)
    {
        if (vm.IsFailed)
        {
            return FailStream() ? FilterHeadersStatus.StopIteration : FilterHeadersStatus.Continue;
        }

        if (context.LocalResponse is not null)
        {
            return FilterHeadersStatus.StopIteration;
        }

        return (uint)raw > 4 ? FilterHeadersStatus.StopAllIterationAndWatermark : (FilterHeadersStatus)raw;
    }

    private FilterDataStatus DataResult(ProxyWasmVm vm, ContextState context, int raw)
    {
        if (vm.IsFailed)
        {
            return FailStream() ? FilterDataStatus.StopIterationNoBuffer : FilterDataStatus.Continue;
        }

        if (context.LocalResponse is not null)
        {
            return FilterDataStatus.StopIterationNoBuffer;
        }

        return (uint)raw > 3 ? FilterDataStatus.StopIterationNoBuffer : (FilterDataStatus)raw;
    }

    private FilterTrailersStatus TrailersResult(ProxyWasmVm vm, ContextState context, int raw)
    {
        if (vm.IsFailed)
        {
            return FailStream() ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
        }

        if (context.LocalResponse is not null)
        {
            return FilterTrailersStatus.StopIteration;
        }

        return raw == 0 ? FilterTrailersStatus.Continue : FilterTrailersStatus.StopIteration;
    }

    /// <summary>Applies the failure policy to this stream; returns true when the stream was failed closed.</summary>
    private bool FailStream()
    {
        _bypassed = true;
        if (_plugin.Configuration.FailurePolicy == FailurePolicy.FailOpen)
        {
            return false;
        }

        if (!LocalResponseSent)
        {
            _failureReplySent = true;
            var body = Encoding.UTF8.GetBytes($"The Wasm filter '{_plugin.Name}' failed; see the proxy log.\n");
            var headers = new HeaderMap();
            headers.Add("content-type", "text/plain; charset=utf-8");
            _host.SendLocalResponse(new LocalResponse(503, "wasm_fail_stream", body, headers));
        }

        return true;
    }

    private static void EnsureNotReentrant(ProxyWasmVm vm)
    {
        if (vm.InGuest)
        {
            throw new InvalidOperationException(
                "A stream callback was called from inside a filter callback (for example synchronously from IStreamHost.ContinueStream); schedule it instead.");
        }
    }
}
