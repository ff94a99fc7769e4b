namespace Wasme.ProxyWasm.Binding;

/// <summary>Builds and reads <c>wasm_functype_t</c>.</summary>
internal static unsafe class FunctionType
{
    /// <summary>A new function type; the caller deletes it (<c>wasm_functype_delete</c>).</summary>
    public static nint Create(ValueType[] parameters, ValueType[] results)
    {
        NativeVector parameterVector;
        NativeVector resultVector;
        Fill(&parameterVector, parameters);
        Fill(&resultVector, results);
        // Takes ownership of both vectors and their value types.
        return WasmtimeApi.wasm_functype_new(&parameterVector, &resultVector);
    }

    /// <summary>Whether <paramref name="type"/> takes <paramref name="parameters"/> i32s and returns <paramref name="results"/> i32s.</summary>
    public static bool IsAllI32(nint type, int parameters, int results)
        => IsAllI32(WasmtimeApi.wasm_functype_params(type), parameters) && IsAllI32(WasmtimeApi.wasm_functype_results(type), results);

    private static bool IsAllI32(NativeVector* types, int count)
    {
        if (types->Size != (nuint)count)
        {
            return false;
        }

        var items = (nint*)types->Data;
        for (var i = 0; i < count; i++)
        {
            if (WasmtimeApi.wasm_valtype_kind(items[i]) != ValueType.I32)
            {
                return false;
            }
        }

        return true;
    }

    private static void Fill(NativeVector* vector, ValueType[] types)
    {
        var items = stackalloc nint[Math.Max(types.Length, 1)];
        for (var i = 0; i < types.Length; i++)
        {
            items[i] = WasmtimeApi.wasm_valtype_new(types[i]);
        }

        // Copies the pointers; the vector owns the value types.
        WasmtimeApi.wasm_valtype_vec_new(vector, (nuint)types.Length, items);
    }
}
