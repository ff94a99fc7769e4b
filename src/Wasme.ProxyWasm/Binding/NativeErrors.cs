using System.Text;

namespace Wasme.ProxyWasm.Binding;

/// <summary>
/// Turns what Wasmtime returns from a call (an error, a trap, or neither) into a <see cref="GuestTrapException"/>, and
/// a .NET exception thrown by a host function into the trap the guest unwinds with.
/// </summary>
internal static unsafe class NativeErrors
{
    // The exception a host function threw on this thread, carried across the guest's frames to the call that entered
    // it, so that the caller sees the host's own exception as the cause.
    [ThreadStatic]
    private static Exception? t_hostException;

    /// <summary>Takes ownership of <paramref name="error"/> and <paramref name="trap"/> (either may be 0) and throws.</summary>
    public static GuestTrapException Consume(nint error, nint trap)
    {
        var hostException = t_hostException;
        t_hostException = null;
        string message;
        byte? code = null;
        if (error != 0)
        {
            NativeVector bytes;
            WasmtimeApi.wasmtime_error_message(error, &bytes);
            message = TakeString(&bytes);
            WasmtimeApi.wasmtime_error_delete(error);
            if (trap != 0)
            {
                WasmtimeApi.wasm_trap_delete(trap);
            }
        }
        else
        {
            NativeVector bytes;
            WasmtimeApi.wasm_trap_message(trap, &bytes);
            message = TakeString(&bytes);
            byte trapCode;
            if (WasmtimeApi.wasmtime_trap_code(trap, &trapCode))
            {
                code = trapCode;
            }

            WasmtimeApi.wasm_trap_delete(trap);
        }

        // A host function's own message says what went wrong better than Wasmtime's wrapping of it; a trap in a guest
        // call the host function made (the allocator) keeps its code, so an interrupted allocator is still a timeout.
        return new GuestTrapException(hostException?.Message ?? message, code ?? (hostException as GuestTrapException)?.TrapCode, hostException);
    }

    /// <summary>Records <paramref name="exception"/> as the cause and returns a trap carrying its message.</summary>
    public static nint ToTrap(Exception exception)
    {
        try
        {
            t_hostException = exception;
            var message = Encoding.UTF8.GetBytes(exception.Message);
            fixed (byte* pointer = message)
            {
                return WasmtimeApi.wasmtime_trap_new(pointer, (nuint)message.Length);
            }
        }
        catch (Exception inner)
        {
            // A .NET exception must never unwind through Wasmtime's frames.
            Environment.FailFast("wasme: could not turn a host function's exception into a trap", inner);
            throw;
        }
    }

    private static string TakeString(NativeVector* bytes)
    {
        try
        {
            var span = new ReadOnlySpan<byte>(bytes->Data, checked((int)bytes->Size));
            // Trap messages are NUL-terminated.
            var end = span.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end >= 0 ? span[..end] : span);
        }
        finally
        {
            WasmtimeApi.wasm_byte_vec_delete(bytes);
        }
    }
}
