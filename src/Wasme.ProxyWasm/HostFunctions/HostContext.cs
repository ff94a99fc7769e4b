using System.Runtime.CompilerServices;
using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Vm;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Shared entry logic for host functions: call restrictions and status codes.</summary>
internal static class HostContext
{
    /// <summary>
    /// Entry of host functions that change host state. Inside the guest allocator only logging, clocks and polling are
    /// allowed (cpp-host's restricted callbacks); anything else fails the VM, since it could change host state while
    /// the host is in the middle of handing memory to the guest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Enter(ProxyWasmVm vm, [CallerMemberName] string function = "")
    {
        if (!vm.InAllocator)
        {
            return true;
        }

        vm.Fail(function, $"the guest called {function} from inside its allocator, which Proxy-Wasm hosts forbid");
        return false;
    }

    public const int Ok = (int)ProxyStatus.Ok;
    public const int NotFound = (int)ProxyStatus.NotFound;
    public const int BadArgument = (int)ProxyStatus.BadArgument;
    public const int SerializationFailure = (int)ProxyStatus.SerializationFailure;
    public const int ParseFailure = (int)ProxyStatus.ParseFailure;
    public const int InvalidMemoryAccess = (int)ProxyStatus.InvalidMemoryAccess;
    public const int Empty = (int)ProxyStatus.Empty;
    public const int CasMismatch = (int)ProxyStatus.CasMismatch;
    public const int InternalFailure = (int)ProxyStatus.InternalFailure;
    public const int Unimplemented = (int)ProxyStatus.Unimplemented;
}
