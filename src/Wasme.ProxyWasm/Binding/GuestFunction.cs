using System.Runtime.CompilerServices;

namespace Wasme.ProxyWasm.Binding;

/// <summary>
/// An exported function whose signature was checked when it was looked up (all i32), called without Wasmtime's
/// per-call type checks: the overload used must match that signature. Slots are not zeroed: every argument is written
/// and results are only read back; zeroing them used AVX stores that left the upper vector state dirty for Wasmtime's
/// SSE code, which then stalled on entry.
/// </summary>
[SkipLocalsInit]
internal sealed unsafe class GuestFunction
{
    private readonly GuestStore _store;
    private readonly ExternFunc _function;
    private readonly nuint _slots;

    internal GuestFunction(GuestStore store, ExternFunc function, int parameters, int results)
    {
        _store = store;
        _function = function;
        _slots = (nuint)Math.Max(parameters, results);
    }

    public void Run() => Call();

    public void Run(int a) => Call(a);

    public void Run(int a, int b) => Call(a, b);

    public void Run(int a, int b, int c) => Call(a, b, c);

    public void Run(int a, int b, int c, int d, int e)
    {
        var slots = stackalloc RawValue[5];
        slots[0].I64 = a;
        slots[1].I64 = b;
        slots[2].I64 = c;
        slots[3].I64 = d;
        slots[4].I64 = e;
        Invoke(slots);
    }

    public int Call()
    {
        var slots = stackalloc RawValue[1];
        Invoke(slots);
        return slots[0].I32;
    }

    public int Call(int a)
    {
        var slots = stackalloc RawValue[1];
        slots[0].I64 = a;
        Invoke(slots);
        return slots[0].I32;
    }

    public int Call(int a, int b)
    {
        var slots = stackalloc RawValue[2];
        slots[0].I64 = a;
        slots[1].I64 = b;
        Invoke(slots);
        return slots[0].I32;
    }

    public int Call(int a, int b, int c)
    {
        var slots = stackalloc RawValue[3];
        slots[0].I64 = a;
        slots[1].I64 = b;
        slots[2].I64 = c;
        Invoke(slots);
        return slots[0].I32;
    }

    private void Invoke(RawValue* slots)
    {
        var context = _store.Context;
        var function = _function;
        nint trap = 0;
        var error = WasmtimeApi.wasmtime_func_call_unchecked(context, &function, slots, _slots, &trap);
        if (error != 0 || trap != 0)
        {
            throw NativeErrors.Consume(error, trap);
        }
    }
}
