using System.Globalization;
using System.Text;
using Wasme.ProxyWasm.Binding;
using Wasmtime;

namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// Runs the callbacks Envoy makes back to back on every stream in one entry into Wasmtime each: at its start
/// <c>proxy_on_context_create</c> then <c>proxy_on_request_headers</c>, at its end <c>proxy_on_done</c>,
/// <c>proxy_on_log</c> and <c>proxy_on_delete</c>. A small Wasm module in the VM's store imports those callbacks from the
/// guest and calls them in order. Every entry from .NET pays a P/Invoke transition and Wasmtime's trap-handler set-up; a
/// call from one instance to another in the same store pays neither.
/// </summary>
/// <remarks>
/// The module's one-page memory is how host and trampoline talk: at <see cref="StageOffset"/> the callback it is running
/// (0 once all ran), so a trap is reported against the right callback and the host can tell what the guest may see; at
/// <see cref="StopOffset"/> a request from the host to return after the current callback. The host asks when the guest
/// calls <c>proxy_set_effective_context</c>: that lasts one callback, so the host resets it and runs the rest one at a time.
/// </remarks>
internal sealed unsafe class StreamTrampoline
{
    private const int StageOffset = 0;
    private const int StopOffset = 4;

    private readonly Func<int, int, int, int>? _begin;
    private readonly Action<int>? _end;
    private readonly int* _state;

    private StreamTrampoline(Func<int, int, int, int>? begin, Action<int>? end, nint state)
    {
        _begin = begin;
        _end = end;
        _state = (int*)state;
    }

    /// <summary>Whether <see cref="Begin"/> runs (the guest exports both start callbacks).</summary>
    public bool CanBegin => _begin is not null;

    /// <summary>Whether <see cref="End"/> runs (the guest exports at least two of the end callbacks).</summary>
    public bool CanEnd => _end is not null;

    /// <summary>The callback running now or, after a call returned, the one it stopped in (a trap or a stop request); null when all ran.</summary>
    public StreamStage? Stage => _state[StageOffset / sizeof(int)] is var stage and > 0 ? (StreamStage)stage : null;

    /// <summary>Makes the running call return once the current callback returns.</summary>
    public void RequestStop() => _state[StopOffset / sizeof(int)] = 1;

    /// <summary>Creates the stream's context and runs its request headers callback; returns that callback's result.</summary>
    public int Begin(int contextId, int headerCount, int endOfStream)
    {
        _state[StopOffset / sizeof(int)] = 0;
        return _begin!(contextId, headerCount, endOfStream);
    }

    /// <summary>Runs the guest's stream-end callbacks for <paramref name="contextId"/>; a trap propagates.</summary>
    public void End(int contextId)
    {
        _state[StopOffset / sizeof(int)] = 0;
        _end!(contextId);
    }

    /// <summary>
    /// The trampoline's text for the callbacks the guest exports, with the signatures the host calls them with
    /// (<paramref name="headersArity"/>: 3, or 2 for ABI 0.1.0); null when it would save nothing.
    /// </summary>
    public static string? Text(StreamStage[] exported, int headersArity)
    {
        var begin = exported.Contains(StreamStage.ContextCreate) && exported.Contains(StreamStage.RequestHeaders);
        var end = exported.Where(s => s >= StreamStage.Done).ToArray();
        if (!begin && end.Length < 2)
        {
            return null;
        }

        var text = new StringBuilder("(module\n");
        foreach (var stage in Imports(exported))
        {
            text.Append(CultureInfo.InvariantCulture, $"  (import \"guest\" \"{Export(stage)}\" (func ${stage} {Signature(stage, headersArity)}))\n");
        }

        text.Append("  (memory (export \"state\") 1 1)\n");
        if (begin)
        {
            var arguments = headersArity == 3 ? "(local.get $id) (local.get $count) (local.get $end)" : "(local.get $id) (local.get $count)";
            text.Append(CultureInfo.InvariantCulture, $"""
                  (func (export "begin") (param $id i32) (param $count i32) (param $end i32) (result i32)
                    (local $status i32)
                    {SetStage(StreamStage.ContextCreate)}
                    (call ${StreamStage.ContextCreate} (local.get $id) (i32.const {ProxyWasmVm.RootContextId}))
                    (if (i32.load (i32.const {StopOffset})) (then (return (i32.const 0))))
                    {SetStage(StreamStage.RequestHeaders)}
                    (local.set $status (call ${StreamStage.RequestHeaders} {arguments}))
                    (i32.store (i32.const {StageOffset}) (i32.const 0))
                    (local.get $status))

                """);
        }

        if (end.Length >= 2)
        {
            text.Append("  (func (export \"end\") (param $id i32)\n");
            for (var i = 0; i < end.Length; i++)
            {
                text.Append("    ").Append(SetStage(end[i])).Append('\n');
                text.Append(end[i] == StreamStage.Done ? $"    (drop (call ${end[i]} (local.get $id)))\n" : $"    (call ${end[i]} (local.get $id))\n");
                if (i < end.Length - 1)
                {
                    text.Append(CultureInfo.InvariantCulture, $"    (if (i32.load (i32.const {StopOffset})) (then (return)))\n");
                }
            }

            text.Append(CultureInfo.InvariantCulture, $"    (i32.store (i32.const {StageOffset}) (i32.const 0)))\n");
        }

        return text.Append(")\n").ToString();
    }

    /// <summary>Instantiates <paramref name="compiled"/> (made from <see cref="Text"/> of the same exports) beside <paramref name="guest"/>.</summary>
    public static StreamTrampoline Bind(GuestStore store, Module compiled, GuestInstance guest, StreamStage[] exported, int headersArity)
    {
        var imports = Imports(exported)
            .Select(stage => guest.TryGetExport(Export(stage), out var item) ? item : throw new InvalidOperationException($"The guest no longer exports {Export(stage)}."))
            .ToArray();
        var instance = GuestInstance.Instantiate(store, compiled, imports);
        var memory = instance.GetMemory("state") ?? throw new InvalidOperationException("The stream trampoline exports no memory.");
        // Memories never move in this engine (MemoryMayMove is off), and this one cannot grow.
        return new StreamTrampoline(instance.GetFunction3("begin"), instance.GetAction1("end"), memory.GetPointer());
    }

    public static string Export(StreamStage stage) => stage switch
    {
        StreamStage.ContextCreate => "proxy_on_context_create",
        StreamStage.RequestHeaders => "proxy_on_request_headers",
        StreamStage.Done => "proxy_on_done",
        StreamStage.Log => "proxy_on_log",
        StreamStage.Delete => "proxy_on_delete",
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    // The imports, in the order the text declares them (instantiation takes them in that order).
    private static IEnumerable<StreamStage> Imports(StreamStage[] exported)
    {
        var begin = exported.Contains(StreamStage.ContextCreate) && exported.Contains(StreamStage.RequestHeaders);
        var end = exported.Count(s => s >= StreamStage.Done) >= 2;
        return exported.Order().Where(s => s >= StreamStage.Done ? end : begin);
    }

    private static string Signature(StreamStage stage, int headersArity) => stage switch
    {
        StreamStage.ContextCreate => "(param i32 i32)",
        StreamStage.RequestHeaders => headersArity == 3 ? "(param i32 i32 i32) (result i32)" : "(param i32 i32) (result i32)",
        StreamStage.Done => "(param i32) (result i32)",
        _ => "(param i32)",
    };

    private static string SetStage(StreamStage stage) => $"(i32.store (i32.const {StageOffset}) (i32.const {(int)stage}))";
}

/// <summary>The callbacks a stream's start and end run through the trampoline, in Envoy's order (the values are what it stores).</summary>
internal enum StreamStage
{
    ContextCreate = 1,
    RequestHeaders = 2,
    Done = 3,
    Log = 4,
    Delete = 5,
}
