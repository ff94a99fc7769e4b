namespace Wasme.Oci.Wasm;

/// <summary>A function signature. Equality compares parameter and result types.</summary>
public sealed record WasmFunctionType(IReadOnlyList<WasmValueType> Parameters, IReadOnlyList<WasmValueType> Results)
{
    public bool Equals(WasmFunctionType? other) =>
        other is not null && Parameters.SequenceEqual(other.Parameters) && Results.SequenceEqual(other.Results);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var type in Parameters)
        {
            hash.Add(type);
        }

        hash.Add(-1);
        foreach (var type in Results)
        {
            hash.Add(type);
        }

        return hash.ToHashCode();
    }

    /// <summary>WAT-like text, e.g. <c>(i32, i32) -> i32</c>.</summary>
    public override string ToString()
    {
        var parameters = string.Join(", ", Parameters.Select(Format));
        var results = Results.Count switch
        {
            0 => "()",
            1 => Format(Results[0]),
            _ => "(" + string.Join(", ", Results.Select(Format)) + ")",
        };
        return $"({parameters}) -> {results}";
    }

    private static string Format(WasmValueType type) => type switch
    {
        WasmValueType.I32 => "i32",
        WasmValueType.I64 => "i64",
        WasmValueType.F32 => "f32",
        WasmValueType.F64 => "f64",
        WasmValueType.V128 => "v128",
        WasmValueType.FuncRef => "funcref",
        WasmValueType.ExternRef => "externref",
        _ => "?",
    };
}
