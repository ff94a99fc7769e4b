using System.Buffers.Binary;
using System.Text;
using Wasme.ProxyWasm.Abi;

namespace Wasme.ProxyWasm.Vm;

/// <summary>
/// Bounds-checked access to the guest's linear memory. Every pointer and size comes from the guest, so all
/// checks are done in unsigned 64-bit arithmetic and a failed check becomes INVALID_MEMORY_ACCESS, never an exception.
/// </summary>
internal sealed partial class ProxyWasmVm
{
    // Linear memory's base and length. The engine never moves memory (MemoryMayMove is off, ProxyWasmRuntime), so
    // the base is fixed for the instance's life and the length only grows: an access beyond the known length looks
    // the length up again (a native call) and every other access needs no call at all.
    private nint _memoryBase;
    private ulong _memoryLength;
    private readonly GuestStringCache _headerStrings = new();

    private void RefreshMemory()
    {
        _memoryLength = (ulong)_memory.GetLength();
        _memoryBase = _memory.GetPointer();
    }

    public unsafe bool TryGetSpan(int pointer, int size, out Span<byte> span)
    {
        var address = (uint)pointer;
        var length = (uint)size;
        if (length > int.MaxValue || (ulong)address + length > _memoryLength)
        {
            // The guest may have grown memory since the host last looked.
            RefreshMemory();
            if (length > int.MaxValue || (ulong)address + length > _memoryLength)
            {
                span = default;
                return false;
            }
        }

        span = new Span<byte>((byte*)_memoryBase + address, (int)length);
        return true;
    }

    public bool TryReadString(int pointer, int size, out string value)
    {
        if (!TryGetSpan(pointer, size, out var span))
        {
            value = "";
            return false;
        }

        value = Encoding.UTF8.GetString(span);
        return true;
    }

    /// <summary>Like <see cref="TryReadString"/> for header names and values: repeated ones come from the VM's cache.</summary>
    public bool TryReadHeaderString(int pointer, int size, out string value) => TryReadHeaderString(pointer, size, out value, out _);

    /// <summary>Like <see cref="TryReadHeaderString(int, int, out string)"/>; <paramref name="checks"/> says what a cached string is known to be.</summary>
    public bool TryReadHeaderString(int pointer, int size, out string value, out HeaderText checks)
    {
        if (!TryGetSpan(pointer, size, out var span))
        {
            value = "";
            checks = HeaderText.Unchecked;
            return false;
        }

        value = _headerStrings.Get(span, out checks);
        return true;
    }

    public bool TryWriteUInt32(int pointer, uint value)
    {
        if (!TryGetSpan(pointer, 4, out var span))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        return true;
    }

    public bool TryWriteUInt64(int pointer, ulong value)
    {
        if (!TryGetSpan(pointer, 8, out var span))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(span, value);
        return true;
    }

    /// <summary>
    /// Hands <paramref name="data"/> to the guest: allocates with the guest's allocator, copies, and writes the
    /// pointer and size into the guest's return slots. Empty data is returned as pointer 0, size 0, as cpp-host does.
    /// </summary>
    public ProxyStatus CopyOut(ReadOnlySpan<byte> data, int returnPointer, int returnSize)
    {
        var status = Reserve(data.Length, returnPointer, returnSize, out var pointer, out var target);
        if (status == ProxyStatus.Ok && pointer != 0)
        {
            data.CopyTo(target);
            Publish(returnPointer, returnSize, pointer, data.Length);
        }

        return status;
    }

    /// <summary><see cref="CopyOut(ReadOnlySpan{byte}, int, int)"/> of a string's UTF-8, encoded straight into guest memory.</summary>
    public ProxyStatus CopyOut(string text, int returnPointer, int returnSize)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var status = Reserve(length, returnPointer, returnSize, out var pointer, out var target);
        if (status == ProxyStatus.Ok && pointer != 0)
        {
            Encoding.UTF8.GetBytes(text, target);
            Publish(returnPointer, returnSize, pointer, length);
        }

        return status;
    }

    /// <summary>
    /// Checks the return slots and allocates <paramref name="length"/> bytes in the guest; for an empty result writes
    /// pointer 0, size 0 and returns <paramref name="pointer"/> 0.
    /// </summary>
    private ProxyStatus Reserve(int length, int returnPointer, int returnSize, out int pointer, out Span<byte> target)
    {
        pointer = 0;
        target = default;
        if (!TryGetSpan(returnPointer, 4, out _) || !TryGetSpan(returnSize, 4, out _))
        {
            return ProxyStatus.InvalidMemoryAccess;
        }

        if (length == 0)
        {
            Publish(returnPointer, returnSize, 0, 0);
            return ProxyStatus.Ok;
        }

        pointer = Allocate(length);
        // The allocator may have grown (moved) memory: fetch spans again afterwards.
        if (pointer == 0 || !TryGetSpan(pointer, length, out target))
        {
            pointer = 0;
            return ProxyStatus.InvalidMemoryAccess;
        }

        return ProxyStatus.Ok;
    }

    private void Publish(int returnPointer, int returnSize, int pointer, int length)
    {
        TryWriteUInt32(returnPointer, (uint)pointer);
        TryWriteUInt32(returnSize, (uint)length);
    }

    /// <summary>
    /// Like <see cref="CopyOut(ReadOnlySpan{byte}, int, int)"/> but writes only the pointer, and allocates even for empty data (a guest-owned
    /// empty buffer): the size-as-pointer compatibility path of <c>proxy_get_buffer_bytes</c>.
    /// </summary>
    public ProxyStatus CopyOutPointer(ReadOnlySpan<byte> data, int returnPointer)
    {
        if (!TryGetSpan(returnPointer, 4, out _))
        {
            return ProxyStatus.InvalidMemoryAccess;
        }

        var pointer = Allocate(data.Length);
        if (pointer == 0 || !TryGetSpan(pointer, data.Length, out var target))
        {
            return ProxyStatus.InvalidMemoryAccess;
        }

        data.CopyTo(target);
        TryWriteUInt32(returnPointer, (uint)pointer);
        return ProxyStatus.Ok;
    }
}
