namespace Wasme.Oci.Wasm;

/// <summary>The bytes are not a well-formed WebAssembly binary module. <see cref="Offset"/> is where reading failed.</summary>
public sealed class WasmFormatException : FormatException
{
    public WasmFormatException(string message, long offset)
        : base($"not a valid WebAssembly module: {message} (at byte offset {offset})")
    {
        Offset = offset;
    }

    public WasmFormatException()
    {
    }

    public WasmFormatException(string message)
        : base(message)
    {
    }

    public WasmFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Byte offset in the module where the problem was found.</summary>
    public long Offset { get; }
}
