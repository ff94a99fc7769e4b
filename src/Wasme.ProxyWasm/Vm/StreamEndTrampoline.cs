using System.Globalization;
using System.Text;
using Wasme.ProxyWasm.Binding;
using Wasmtime;

namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// Ends a stream (<c>proxy_on_done</c>, <c>proxy_on_log</c>, <c>proxy_on_delete</c>, as Envoy calls them back to back)
/// in one entry into Wasmtime instead of three: a small Wasm module in the VM's store imports those callbacks from the
/// guest and calls them in order. Every entry from .NET pays a P/Invoke transition and Wasmtime's trap-handler set-up; a
/// call from one instance to another in the same store pays neither.
/// </summary>
/// <remarks>
/// The module's one-page memory is how host and trampoline talk: at <see cref="StageOffset"/> the callback it is running
/// (0 once all ran), so a trap is reported against the right callback; at <see cref="StopOffset"/> a request from the
/// host to return after the current callback. The host asks when the guest calls <c>proxy_set_effective_context</c>: that
/// lasts one callback, so the host resets it and runs the rest one at a time.
/// </remarks>
internal sealed unsafe class StreamEndTrampoline
{
    private const int StageOffset = 0;
    private const int StopOffset = 4;

    private readonly Action<int> _end;
    private readonly int* _state;

    private StreamEndTrampoline(Action<int> end, nint state)
    {
        _end = end;
        _state = (int*)state;
    }

    /// <summary>The callback the last <see cref="Run"/> stopped in (by a trap or a stop request); null when all ran.</summary>
    public StreamEndStage? StoppedIn => _state[StageOffset / sizeof(int)] is var stage and > 0 ? (StreamEndStage)stage : null;

    /// <summary>Makes the running <see cref="Run"/> return once the current callback returns.</summary>
    public void RequestStop() => _state[StopOffset / sizeof(int)] = 1;

    /// <summary>Runs the guest's stream-end callbacks for <paramref name="contextId"/>; a trap propagates.</summary>
    public void Run(int contextId)
    {
        _state[StopOffset / sizeof(int)] = 0;
        _end(contextId);
    }

    /// <summary>
    /// The trampoline's text for the callbacks the guest exports (with the signatures the host calls them with); null
    /// when fewer than two exist, since then there is nothing to save.
    /// </summary>
    public static string? Text(StreamEndStage[] stages)
    {
        if (stages.Length < 2)
        {
            return null;
        }

        var text = new StringBuilder("(module\n");
        foreach (var stage in stages)
        {
            text.Append(CultureInfo.InvariantCulture, $"  (import \"guest\" \"{Export(stage)}\" (func ${stage} (param i32){(stage == StreamEndStage.Done ? " (result i32)" : "")}))\n");
        }

        text.Append("  (memory (export \"state\") 1 1)\n  (func (export \"end\") (param $id i32)\n");
        for (var i = 0; i < stages.Length; i++)
        {
            var stage = stages[i];
            text.Append(CultureInfo.InvariantCulture, $"    (i32.store (i32.const {StageOffset}) (i32.const {(int)stage}))\n");
            text.Append(stage == StreamEndStage.Done ? $"    (drop (call ${stage} (local.get $id)))\n" : $"    (call ${stage} (local.get $id))\n");
            if (i < stages.Length - 1)
            {
                text.Append(CultureInfo.InvariantCulture, $"    (if (i32.load (i32.const {StopOffset})) (then (return)))\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"    (i32.store (i32.const {StageOffset}) (i32.const 0))))\n");
        return text.ToString();
    }

    /// <summary>Instantiates <paramref name="compiled"/> (made from <see cref="Text"/> of the same stages) beside <paramref name="guest"/>.</summary>
    public static StreamEndTrampoline Bind(GuestStore store, Module compiled, GuestInstance guest, StreamEndStage[] stages)
    {
        var imports = new ExternItem[stages.Length];
        for (var i = 0; i < stages.Length; i++)
        {
            if (!guest.TryGetExport(Export(stages[i]), out imports[i]))
            {
                throw new InvalidOperationException($"The guest no longer exports {Export(stages[i])}.");
            }
        }

        var instance = GuestInstance.Instantiate(store, compiled, imports);
        var end = instance.GetAction1("end") ?? throw new InvalidOperationException("The stream-end trampoline exports no 'end'.");
        var memory = instance.GetMemory("state") ?? throw new InvalidOperationException("The stream-end trampoline exports no memory.");
        // Memories never move in this engine (MemoryMayMove is off), and this one cannot grow.
        return new StreamEndTrampoline(end, memory.GetPointer());
    }

    public static string Export(StreamEndStage stage) => stage switch
    {
        StreamEndStage.Done => "proxy_on_done",
        StreamEndStage.Log => "proxy_on_log",
        StreamEndStage.Delete => "proxy_on_delete",
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };
}

/// <summary>The stream-end callbacks, in the order Envoy calls them (the values are what the trampoline stores).</summary>
internal enum StreamEndStage
{
    Done = 1,
    Log = 2,
    Delete = 3,
}
