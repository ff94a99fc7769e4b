using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Wasme.ProxyWasm.Binding;

/// <summary>
/// The native <c>wasm_engine_t*</c> and <c>wasmtime_module_t*</c> behind wasmtime-dotnet's <see cref="Engine"/> and
/// <see cref="Module"/>, which keep compiling, validating and (de)serialising modules; stores, linkers and instances are
/// this binding's own. wasmtime-dotnet keeps the handles internal, so they are read through unsafe accessors (checked
/// by BindingLayoutTests for the package version in use). The owner must outlive every use of the pointer.
/// </summary>
internal static class CompiledHandles
{
    public static nint Of(Engine engine) => ((SafeHandle)EngineHandle(engine)).DangerousGetHandle();

    public static nint Of(Module module) => ((SafeHandle)ModuleHandle(module)).DangerousGetHandle();

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_NativeHandle")]
    [return: UnsafeAccessorType("Wasmtime.Engine+Handle, Wasmtime.Dotnet")]
    private static extern object EngineHandle(Engine engine);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_NativeHandle")]
    [return: UnsafeAccessorType("Wasmtime.Module+Handle, Wasmtime.Dotnet")]
    private static extern object ModuleHandle(Module module);
}
