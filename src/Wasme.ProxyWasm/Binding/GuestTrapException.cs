namespace Wasme.ProxyWasm.Binding;

/// <summary>A call into the guest, or its instantiation, ended in a trap or a Wasmtime error.</summary>
internal sealed class GuestTrapException : Exception
{
    public GuestTrapException(string message, byte? trapCode, Exception? hostException)
        : base(message, hostException)
    {
        TrapCode = trapCode;
    }

    /// <summary>Wasmtime's <c>wasmtime_trap_code_t</c>, when the trap has one.</summary>
    public byte? TrapCode { get; }

    /// <summary>The epoch deadline interrupted the guest (it ran past its call timeout).</summary>
    public bool IsInterrupt => TrapCode == (byte)Wasmtime.TrapCode.Interrupt;
}
