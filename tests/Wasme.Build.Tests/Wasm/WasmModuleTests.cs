using System.Text;
using Wasme.Oci.Wasm;
using Wasme.Testing.Filters;

namespace Wasme.Build.Tests.Wasm;

public sealed class WasmModuleTests
{
    private const byte I32 = 0x7F;
    private const byte I64 = 0x7E;

    [Fact]
    public void Imports_and_exports_carry_kinds_and_function_signatures()
    {
        var builder = new WasmModuleBuilder();
        var log = builder.AddType([I32, I32, I32], [I32]);
        var onTick = builder.AddType([I32], []);
        var bytes = builder
            .ImportFunction("env", "proxy_log", log)
            .ImportMemory("env", "memory", 1)
            .AddFunction(onTick, "proxy_on_tick")
            .AddFunction(builder.AddType([], []), "proxy_abi_version_0_2_1")
            .Build();

        var module = WasmModule.Parse(bytes);

        var import = Assert.Single(module.Imports, i => i.Kind == WasmExternalKind.Function);
        Assert.Equal(("env", "proxy_log"), (import.Module, import.Name));
        Assert.Equal("(i32, i32, i32) -> i32", import.FunctionType!.ToString());
        Assert.Contains(module.Imports, i => i is { Kind: WasmExternalKind.Memory, Name: "memory", FunctionType: null });
        var tick = module.FindExport("proxy_on_tick");
        Assert.NotNull(tick);
        Assert.Equal(WasmExternalKind.Function, tick.Kind);
        Assert.Equal(1u, tick.Index); // after the one imported function
        Assert.Equal(new WasmFunctionType([WasmValueType.I32], []), tick.FunctionType);
    }

    [Fact]
    public void Function_types_compare_by_value()
    {
        var a = new WasmFunctionType([WasmValueType.I32, WasmValueType.I64], [WasmValueType.I32]);
        var b = new WasmFunctionType([WasmValueType.I32, WasmValueType.I64], [WasmValueType.I32]);
        var c = new WasmFunctionType([WasmValueType.I32], [WasmValueType.I32]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData("proxy_abi_version_0_1_0", ProxyWasmAbiVersion.V0_1_0)]
    [InlineData("proxy_abi_version_0_2_0", ProxyWasmAbiVersion.V0_2_0)]
    [InlineData("proxy_abi_version_0_2_1", ProxyWasmAbiVersion.V0_2_1)]
    public void Abi_marker_export_gives_the_abi_version(string marker, ProxyWasmAbiVersion expected)
    {
        var module = WasmModule.Parse(WasmModuleBuilder.ProxyWasmModule(marker));

        Assert.Equal([expected], ProxyWasmAbi.DetectVersions(module));
    }

    [Fact]
    public void Module_without_marker_has_no_abi_version()
    {
        var builder = new WasmModuleBuilder();
        var module = WasmModule.Parse(builder.AddFunction(builder.AddType([], []), "_start").Build());

        Assert.Empty(ProxyWasmAbi.DetectVersions(module));
    }

    [Theory]
    [InlineData("v0.2.1", ProxyWasmAbiVersion.V0_2_1)]
    [InlineData("0.2.0", ProxyWasmAbiVersion.V0_2_0)]
    [InlineData("proxy_abi_version_0_1_0", ProxyWasmAbiVersion.V0_1_0)]
    public void Abi_names_parse_in_every_spelling(string text, ProxyWasmAbiVersion expected)
    {
        Assert.True(ProxyWasmAbi.TryParse(text, out var version));
        Assert.Equal(expected, version);
    }

    [Theory]
    [InlineData("v0-4689a30309abf31aee9ae36e73d34b1bb182685f")]
    [InlineData("v0.3.0")]
    [InlineData("")]
    public void Unknown_abi_names_do_not_parse(string text) => Assert.False(ProxyWasmAbi.TryParse(text, out _));

    [Fact]
    public void Root_id_is_found_in_utf8_and_utf16_data_but_not_elsewhere()
    {
        var builder = new WasmModuleBuilder();
        var bytes = builder
            .AddMemory()
            .AddData(16, "rust_root", Encoding.UTF8)
            .AddData(64, "assemblyscript_root", Encoding.Unicode)
            .AddPassiveData(Encoding.UTF8.GetBytes("passive_root"))
            .AddCustomSection("name", Encoding.UTF8.GetBytes("only_in_custom_section"))
            .Build();

        var module = WasmModule.Parse(bytes);

        Assert.True(module.DataContainsString("rust_root"));
        Assert.True(module.DataContainsString("assemblyscript_root"));
        Assert.True(module.DataContainsString("passive_root"));
        Assert.False(module.DataContainsString("only_in_custom_section"));
        Assert.False(module.DataContainsString("missing_root"));
        Assert.Equal(3, module.DataSegments.Count);
        Assert.Equal("rust_root", Encoding.UTF8.GetString(module.DataSegments[0].Bytes.Span));
        Assert.True(module.DataSegments[2].IsPassive);
        Assert.Equal(["name"], module.CustomSectionNames);
    }

    [Fact]
    public void Every_truncation_of_a_valid_module_is_a_format_error_or_a_smaller_module_never_a_crash()
    {
        var bytes = WasmModuleBuilder.ProxyWasmModule(rootId: "add_header");
        var errors = 0;
        for (var length = 0; length < bytes.Length; length++)
        {
            try
            {
                // A cut exactly at a section boundary is a valid module with fewer sections.
                Assert.True(WasmModule.Parse(bytes.AsMemory(0, length)).DataSegments.Count == 0);
            }
            catch (WasmFormatException error)
            {
                Assert.StartsWith("not a valid WebAssembly module", error.Message, StringComparison.Ordinal);
                errors++;
            }
        }

        // Cuts inside the final (data) section, e.g. in the middle of the root id, are all errors.
        for (var length = bytes.Length - 10; length < bytes.Length; length++)
        {
            Assert.Throws<WasmFormatException>(() => WasmModule.Parse(bytes.AsMemory(0, length)));
        }

        Assert.True(errors > bytes.Length / 2);
    }

    [Fact]
    public void Root_id_in_utf16_whose_trailing_zero_byte_was_optimized_away_is_found()
    {
        // binaryen trims trailing zeros from segments: "add_header" in UTF-16LE loses its final 0x00.
        var utf16 = Encoding.Unicode.GetBytes("add_header");
        var bytes = new WasmModuleBuilder().AddMemory().AddData(64, utf16[..^1]).Build();

        var module = WasmModule.Parse(bytes);

        Assert.True(module.DataContainsString("add_header"));
        Assert.False(module.DataContainsString("add_headers"));
    }

    [Fact]
    public void Every_single_byte_corruption_is_a_format_error_or_a_parse_never_a_crash()
    {
        var bytes = WasmModuleBuilder.ProxyWasmModule();
        for (var i = 0; i < bytes.Length; i++)
        {
            foreach (var value in new byte[] { 0x00, 0x7F, 0x80, 0xFF })
            {
                var corrupt = (byte[])bytes.Clone();
                corrupt[i] = value;
                try
                {
                    WasmModule.Parse(corrupt);
                }
                catch (WasmFormatException)
                {
                }
            }
        }
    }

    [Fact]
    public void Not_wasm_at_all_says_so()
    {
        var error = Assert.Throws<WasmFormatException>(() => WasmModule.Parse(Encoding.UTF8.GetBytes("#!/bin/sh\necho hello\n")));

        Assert.Contains("magic number", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Component_binary_is_named_as_such()
    {
        byte[] component = [0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00];

        var error = Assert.Throws<WasmFormatException>(() => WasmModule.Parse(component));

        Assert.Contains("component", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Section_size_past_the_end_names_the_section_and_offset()
    {
        // Type section claiming 0x7F bytes when only 1 follows.
        byte[] bytes = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7F, 0x00];

        var error = Assert.Throws<WasmFormatException>(() => WasmModule.Parse(bytes));

        Assert.Contains("size of section 1 is 127 but only 1 bytes remain", error.Message, StringComparison.Ordinal);
        Assert.Equal(10, error.Offset);
    }

    [Fact]
    public void Huge_vector_count_is_rejected_before_allocating()
    {
        // Type section of 5 bytes whose count says 2^32-1 entries.
        byte[] bytes = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];

        var error = Assert.Throws<WasmFormatException>(() => WasmModule.Parse(bytes));

        Assert.Contains("type count is 4294967295", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_of_a_function_that_does_not_exist_is_rejected()
    {
        var builder = new WasmModuleBuilder();
        var bytes = builder.AddCustomSection("x", []).Build();
        // Append an export section naming function 5 in a module with no functions.
        byte[] export = [0x07, 0x05, 0x01, 0x01, (byte)'f', 0x00, 0x05];

        var error = Assert.Throws<WasmFormatException>(() => WasmModule.Parse((byte[])[.. bytes, .. export]));

        Assert.Contains("export f refers to function 5 but the module has 0 functions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_sections_are_rejected()
    {
        byte[] bytes = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00];

        var error = Assert.Throws<WasmFormatException>(() => WasmModule.Parse(bytes));

        Assert.Contains("section type is duplicated or out of order", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_leb_is_rejected()
    {
        // Section size encoded in 6 bytes.
        byte[] bytes = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];

        var error = Assert.Throws<WasmFormatException>(() => WasmModule.Parse(bytes));

        Assert.Contains("longer than 5 bytes", error.Message, StringComparison.Ordinal);
    }
}
