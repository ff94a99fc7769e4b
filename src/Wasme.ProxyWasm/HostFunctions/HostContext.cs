using System.Runtime.CompilerServices;
using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Vm;
using Wasmtime;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>Shared entry logic for host functions: find the VM behind the caller and apply call restrictions.</summary>
internal static class HostContext
{
    /// <summary>
    /// Resolves the calling VM (every host function that touches guest memory gets its VM here or through
    /// <see cref="Unrestricted"/>, which is what keeps the VM's cached view of linear memory fresh). Inside the guest allocator only logging, clocks and polling are allowed
    /// (cpp-host's restricted callbacks); anything else fails the VM, since it could change host state
    /// while the host is in the middle of handing memory to the guest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Enter(Caller caller, out ProxyWasmVm vm, [CallerMemberName] string function = "")
    {
        vm = (ProxyWasmVm)caller.GetData()!;
        // The guest ran up to this call: linear memory may have grown since the host last looked.
        vm.ForgetMemory();
        if (!vm.InAllocator)
        {
            return true;
        }

        vm.Fail(function, $"the guest called {function} from inside its allocator, which Proxy-Wasm hosts forbid");
        return false;
    }

    public static ProxyWasmVm Unrestricted(Caller caller)
    {
        var vm = (ProxyWasmVm)caller.GetData()!;
        vm.ForgetMemory();
        return vm;
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
