namespace Wasme.Oci.Wasm;

/// <summary>The bytes are not a well-formed WebAssembly binary module. <see cref="Offset"/> is where reading failed.</summary>
public sealed class WasmFormatException : FormatException
{
    public WasmFormatException(string message, long offset)
        : base($"not a valid WebAssembly module: {message} (at byte offset {offset})")
    {
        Offset = offset;
        Reason = $"{message} at byte offset {offset}";
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

    /// <summary>What is wrong, without the "not a valid WebAssembly module" lead, for messages that name the file.</summary>
    public string Reason { get; } = string.Empty;

    /// <summary>Byte offset in the module where the problem was found.</summary>
    public long Offset { get; }
}
