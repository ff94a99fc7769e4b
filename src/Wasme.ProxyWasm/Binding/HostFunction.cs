using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wasme.ProxyWasm.Binding;

/// <summary>
/// A host function as Wasmtime sees it: its signature, and how to run it on the argument slots of an unchecked call
/// (results go into the first slots). Every host function is entered through <see cref="Dispatch"/>, which finds the
/// store's state (the VM) without allocating and turns an escaping exception into a trap.
/// </summary>
internal abstract unsafe class HostFunction
{
    private protected static readonly ValueType[] None = [];
    private protected static readonly ValueType[] I32 = [ValueType.I32];

    protected HostFunction(ValueType[] parameters, ValueType[] results)
    {
        Parameters = parameters;
        Results = results;
    }

    public ValueType[] Parameters { get; }

    public ValueType[] Results { get; }

    public abstract void Invoke(object state, RawValue* slots);

    private protected static ValueType TypeOf<T>()
        where T : unmanaged
        => typeof(T) == typeof(int) ? ValueType.I32
            : typeof(T) == typeof(long) ? ValueType.I64
            : throw new NotSupportedException($"Host function parameters are int or long, not {typeof(T)}.");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static nint Dispatch(nint environment, nint caller, RawValue* slots, nuint count)
    {
        try
        {
            var function = (HostFunction)GCHandle.FromIntPtr(environment).Target!;
            var state = GCHandle.FromIntPtr(WasmtimeApi.wasmtime_context_get_data(WasmtimeApi.wasmtime_caller_context(caller))).Target!;
            function.Invoke(state, slots);
            return 0;
        }
        catch (Exception ex)
        {
            return NativeErrors.ToTrap(ex);
        }
    }
}

/// <summary>A host function of any signature, given its arguments as raw slots (results: its return value, if any).</summary>
internal sealed unsafe class RawHostFunction<TState>(ValueType[] parameters, ValueType[] results, Func<TState, ReadOnlySpan<RawValue>, long> function)
    : HostFunction(parameters, results)
{
    public override void Invoke(object state, RawValue* slots)
    {
        var result = function((TState)state, new ReadOnlySpan<RawValue>(slots, Parameters.Length));
        if (Results.Length > 0)
        {
            slots[0].I64 = result;
        }
    }
}

/// <summary>A host function without a result.</summary>
internal sealed unsafe class HostAction<TState, T1>(Action<TState, T1> function) : HostFunction([TypeOf<T1>()], None)
    where T1 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => function((TState)state, RawValue.Read<T1>(ref slots[0]));
}

internal sealed unsafe class HostFunction<TState>(Func<TState, int> function) : HostFunction(None, I32)
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state);
}

internal sealed unsafe class HostFunction<TState, T1>(Func<TState, T1, int> function) : HostFunction([TypeOf<T1>()], I32)
    where T1 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]));
}

internal sealed unsafe class HostFunction<TState, T1, T2>(Func<TState, T1, T2, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3>(Func<TState, T1, T2, T3, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3, T4>(Func<TState, T1, T2, T3, T4, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>(), TypeOf<T4>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
    where T4 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]), RawValue.Read<T4>(ref slots[3]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3, T4, T5>(Func<TState, T1, T2, T3, T4, T5, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>(), TypeOf<T4>(), TypeOf<T5>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
    where T4 : unmanaged
    where T5 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]), RawValue.Read<T4>(ref slots[3]), RawValue.Read<T5>(ref slots[4]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3, T4, T5, T6>(Func<TState, T1, T2, T3, T4, T5, T6, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>(), TypeOf<T4>(), TypeOf<T5>(), TypeOf<T6>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
    where T4 : unmanaged
    where T5 : unmanaged
    where T6 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]), RawValue.Read<T4>(ref slots[3]), RawValue.Read<T5>(ref slots[4]), RawValue.Read<T6>(ref slots[5]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3, T4, T5, T6, T7>(Func<TState, T1, T2, T3, T4, T5, T6, T7, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>(), TypeOf<T4>(), TypeOf<T5>(), TypeOf<T6>(), TypeOf<T7>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
    where T4 : unmanaged
    where T5 : unmanaged
    where T6 : unmanaged
    where T7 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]), RawValue.Read<T4>(ref slots[3]), RawValue.Read<T5>(ref slots[4]), RawValue.Read<T6>(ref slots[5]), RawValue.Read<T7>(ref slots[6]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3, T4, T5, T6, T7, T8>(Func<TState, T1, T2, T3, T4, T5, T6, T7, T8, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>(), TypeOf<T4>(), TypeOf<T5>(), TypeOf<T6>(), TypeOf<T7>(), TypeOf<T8>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
    where T4 : unmanaged
    where T5 : unmanaged
    where T6 : unmanaged
    where T7 : unmanaged
    where T8 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]), RawValue.Read<T4>(ref slots[3]), RawValue.Read<T5>(ref slots[4]), RawValue.Read<T6>(ref slots[5]), RawValue.Read<T7>(ref slots[6]), RawValue.Read<T8>(ref slots[7]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3, T4, T5, T6, T7, T8, T9>(Func<TState, T1, T2, T3, T4, T5, T6, T7, T8, T9, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>(), TypeOf<T4>(), TypeOf<T5>(), TypeOf<T6>(), TypeOf<T7>(), TypeOf<T8>(), TypeOf<T9>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
    where T4 : unmanaged
    where T5 : unmanaged
    where T6 : unmanaged
    where T7 : unmanaged
    where T8 : unmanaged
    where T9 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]), RawValue.Read<T4>(ref slots[3]), RawValue.Read<T5>(ref slots[4]), RawValue.Read<T6>(ref slots[5]), RawValue.Read<T7>(ref slots[6]), RawValue.Read<T8>(ref slots[7]), RawValue.Read<T9>(ref slots[8]));
}

internal sealed unsafe class HostFunction<TState, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Func<TState, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, int> function) : HostFunction([TypeOf<T1>(), TypeOf<T2>(), TypeOf<T3>(), TypeOf<T4>(), TypeOf<T5>(), TypeOf<T6>(), TypeOf<T7>(), TypeOf<T8>(), TypeOf<T9>(), TypeOf<T10>()], I32)
    where T1 : unmanaged
    where T2 : unmanaged
    where T3 : unmanaged
    where T4 : unmanaged
    where T5 : unmanaged
    where T6 : unmanaged
    where T7 : unmanaged
    where T8 : unmanaged
    where T9 : unmanaged
    where T10 : unmanaged
{
    public override void Invoke(object state, RawValue* slots) => slots[0].I64 = function((TState)state, RawValue.Read<T1>(ref slots[0]), RawValue.Read<T2>(ref slots[1]), RawValue.Read<T3>(ref slots[2]), RawValue.Read<T4>(ref slots[3]), RawValue.Read<T5>(ref slots[4]), RawValue.Read<T6>(ref slots[5]), RawValue.Read<T7>(ref slots[6]), RawValue.Read<T8>(ref slots[7]), RawValue.Read<T9>(ref slots[8]), RawValue.Read<T10>(ref slots[9]));
}
