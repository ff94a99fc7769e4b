using System.Text;
using Wasme.ProxyWasm.Tests.Infrastructure;

namespace Wasme.ProxyWasm.Tests;

/// <summary>
/// How <c>proxy_get_buffer_bytes</c> hands the plugin configuration over: cpp-host's rules for correct guests, and
/// the narrow compatibility path for the AssemblyScript SDK 0.1.x, which passes the size where the size pointer belongs.
/// </summary>
public sealed class ConfigurationReadTests : IDisposable
{
    private const int Sentinel = 0x5A5A5A5A;
    private readonly HostHarness _host = new();

    // on_configure: put a sentinel at address `size` and in the result slots 16/20, read the configuration
    // with the given size pointer expression, then record what the guest sees.
    private static string Reader(Wat wat, string sizePointer) => wat.Module($$"""
        (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
          (i32.store (local.get $size) (i32.const {{Sentinel}}))
          (i32.store (i32.const 16) (i32.const {{Sentinel}}))
          (i32.store (i32.const 20) (i32.const {{Sentinel}}))
          {{wat.Record("status", $"(call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $size) (i32.const 16) {sizePointer})")}}
          {{wat.Record("sentinel_at_size", $"(i32.eq (i32.load (local.get $size)) (i32.const {Sentinel}))")}}
          {{wat.Record("pointer_written", $"(i32.ne (i32.load (i32.const 16)) (i32.const {Sentinel}))")}}
          {{wat.Record("size_slot", "(i32.load (i32.const 20))")}}
          (if (i32.ne (i32.load (i32.const 16)) (i32.const {{Sentinel}}))
            (then {{wat.Record("last_byte", "(i32.load8_u (i32.sub (i32.add (i32.load (i32.const 16)) (local.get $size)) (i32.const 1)))")}}))
          (i32.const 1))
        """);

    [Fact]
    public void A_correct_guest_gets_pointer_and_size_of_its_configuration()
    {
        var wat = new Wat();
        using var plugin = _host.Start(Reader(wat, "(i32.const 20)"), Configuration(new string('c', 511) + "!"));

        Assert.Equal(0, _host.Gauge("status"));
        Assert.Equal(1, _host.Gauge("pointer_written"));
        Assert.Equal(512, _host.Gauge("size_slot"));
        Assert.Equal('!', _host.Gauge("last_byte"));
    }

    [Fact]
    public void An_empty_configuration_writes_nothing_as_cpp_host_does()
    {
        var wat = new Wat();
        using var plugin = _host.Start(Reader(wat, "(i32.const 20)"), Configuration(""));

        Assert.Equal(0, _host.Gauge("status"));
        Assert.Equal(0, _host.Gauge("pointer_written"));
        Assert.Equal(Sentinel, _host.Gauge("size_slot"));
    }

    [Fact]
    public void The_size_passed_as_size_pointer_gets_the_data_without_a_write_at_that_address()
    {
        var wat = new Wat();
        using var plugin = _host.Start(Reader(wat, "(local.get $size)"), Configuration(new string('c', 511) + "!"));

        Assert.Equal(0, _host.Gauge("status"));
        Assert.Equal(1, _host.Gauge("sentinel_at_size"));
        Assert.Equal(1, _host.Gauge("pointer_written"));
        Assert.Equal('!', _host.Gauge("last_byte"));
        Assert.False(plugin.IsFailed, plugin.FailureReason);
    }

    [Fact]
    public void An_empty_configuration_read_with_the_size_as_pointer_gets_an_empty_allocation_and_address_zero_is_untouched()
    {
        var wat = new Wat();
        using var plugin = _host.Start(Reader(wat, "(local.get $size)"), Configuration(""));

        Assert.Equal(0, _host.Gauge("status"));
        Assert.Equal(1, _host.Gauge("sentinel_at_size"));
        Assert.Equal(1, _host.Gauge("pointer_written"));
    }

    private static PluginConfiguration Configuration(string value) => new()
    {
        Name = "reader",
        Configuration = Encoding.UTF8.GetBytes(value),
    };

    public void Dispose() => _host.Dispose();
}
