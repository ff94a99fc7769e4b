using System.Buffers;
using Wasme.ProxyWasm.Vm;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>
/// What a guest may put in a header: CR and LF would split it in two on the wire (header injection) and NUL ends it
/// early; Envoy's header strings refuse all three, and an empty name is no header. Host calls that would store such a
/// header return BAD_ARGUMENT and change nothing.
/// </summary>
internal static class HeaderValidation
{
    private static readonly SearchValues<char> s_forbidden = SearchValues.Create("\r\n\0");

    public static bool IsAllowed(ProxyWasmVm vm, string function, string key, string value)
    {
        var badKey = key.Length == 0 || key.AsSpan().ContainsAny(s_forbidden);
        if (!badKey && !value.AsSpan().ContainsAny(s_forbidden))
        {
            return true;
        }

        // The name goes into the log escaped, so a refused name cannot forge log lines either.
        var shown = GuestLogText.Show(key, 256);
        Log.HeaderRefused(vm.Logger, vm.Config.Name, function, shown, badKey ? "name" : "value");
        return false;
    }

    public static bool AllAllowed(ProxyWasmVm vm, string function, HeaderMap headers)
    {
        foreach (var (key, value) in headers)
        {
            if (!IsAllowed(vm, function, key, value))
            {
                return false;
            }
        }

        return true;
    }
}
