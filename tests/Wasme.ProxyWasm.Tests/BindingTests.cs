using System.Runtime.InteropServices;
using Wasme.ProxyWasm.Binding;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// The direct Wasmtime binding the data plane calls through: layouts that must match the native library, signatures
/// checked before unchecked calls, state and arguments reaching host functions, and host exceptions unwinding the guest.
/// </summary>
public sealed class BindingTests : IDisposable
{
    private readonly ProxyWasmRuntime _runtime = new();

    private const string Module = """
        (module
          (import "env" "record" (func $record (param i32 i64) (result i32)))
          (import "env" "boom" (func $boom (param i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "wide") (param i64) (result i32) (i32.const 7))
          (func (export "echo") (param i32) (result i32) (local.get 0))
          (func (export "record") (param i32) (result i32) (call $record (local.get 0) (i64.const 0x100000002)))
          (func (export "boom") (param i32) (result i32) (call $boom (local.get 0))))
        """;

    [Theory]
    [InlineData("ExternFunc", typeof(ExternFunc))]
    [InlineData("ExternMemory", typeof(ExternMemory))]
    [InlineData("ExternInstance", typeof(ExternInstance))]
    [InlineData("Extern", typeof(ExternItem))]
    [InlineData("ValueRaw", typeof(RawValue))]
    public void Native_layouts_match_the_wasmtime_package_in_use(string packageType, Type ours)
    {
        // wasmtime-dotnet declares the same C structs for the native library it ships; an upgrade that changes one fails here.
        var theirs = typeof(Wasmtime.Engine).Assembly.GetType("Wasmtime." + packageType, throwOnError: true)!;

        Assert.Equal(Marshal.SizeOf(theirs), Marshal.SizeOf(ours));
    }

    [Fact]
    public void An_export_is_bound_only_with_the_signature_the_host_calls_it_with()
    {
        using var linker = Linker();
        using var store = Store(new List<long>());
        using var module = Wasmtime.Module.FromText(_runtime.Engine, "binding", Module);
        var instance = linker.Instantiate(store, module);

        Assert.Null(instance.GetFunction("wide", parameters: 1, results: 1)); // takes an i64
        Assert.Null(instance.GetFunction("echo", parameters: 2, results: 1));
        Assert.Null(instance.GetFunction("echo", parameters: 1, results: 0));
        Assert.Null(instance.GetFunction("missing", parameters: 1, results: 1));
        Assert.Null(instance.GetFunction("memory", parameters: 0, results: 0));
        Assert.Null(instance.GetMemory("echo"));
        Assert.NotNull(instance.GetMemory("memory"));
        Assert.Equal(-5, instance.GetFunction1("echo")!(-5));
    }

    [Fact]
    public void Host_functions_get_the_store_state_and_their_arguments_as_declared()
    {
        var recorded = new List<long>();
        using var linker = Linker();
        using var store = Store(recorded);
        using var module = Wasmtime.Module.FromText(_runtime.Engine, "binding", Module);
        var record = linker.Instantiate(store, module).GetFunction1("record")!;

        Assert.Equal(42, record(-3));
        Assert.Equal([-3, 0x100000002], recorded);
    }

    [Fact]
    public void A_host_exception_unwinds_the_guest_as_a_trap_carrying_it_and_the_store_stays_usable()
    {
        using var linker = Linker();
        using var store = Store(new List<long>());
        using var module = Wasmtime.Module.FromText(_runtime.Engine, "binding", Module);
        var instance = linker.Instantiate(store, module);
        var boom = instance.GetFunction1("boom")!;

        var trap = Assert.Throws<GuestTrapException>(() => boom(9));

        Assert.Equal("kaboom 9", trap.Message);
        Assert.Equal("kaboom 9", Assert.IsType<InvalidOperationException>(trap.InnerException).Message);
        Assert.False(trap.IsInterrupt);
        Assert.Equal(11, instance.GetFunction1("echo")!(11));
    }

    [Fact]
    public void Calls_into_a_disposed_store_are_refused_rather_than_reaching_freed_memory()
    {
        using var linker = Linker();
        var store = Store(new List<long>());
        using var module = Wasmtime.Module.FromText(_runtime.Engine, "binding", Module);
        var instance = linker.Instantiate(store, module);
        var echo = instance.GetFunction1("echo")!;
        var memory = instance.GetMemory("memory")!;

        store.Dispose();

        Assert.Throws<ObjectDisposedException>(() => echo(1));
        Assert.Throws<ObjectDisposedException>(() => memory.GetLength());
    }

    private GuestStore Store(object state)
    {
        // The runtime's engine interrupts guests at their epoch deadline: give these calls one far away.
        var store = new GuestStore(_runtime.Engine, state);
        store.SetEpochDeadline(1_000_000);
        return store;
    }

    private NativeLinker Linker()
    {
        var linker = new NativeLinker(_runtime.Engine);
        linker.Define("env", "record", new HostFunction<List<long>, int, long>(static (recorded, small, wide) =>
        {
            recorded.Add(small);
            recorded.Add(wide);
            return 42;
        }));
        linker.Define("env", "boom", new HostFunction<List<long>, int>(static (_, value) => throw new InvalidOperationException($"kaboom {value}")));
        return linker;
    }

    public void Dispose() => _runtime.Dispose();
}
