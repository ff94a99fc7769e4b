using System.Text;

namespace Wasme.Testing.Filters;

/// <summary>
/// Writes small Wasm binaries byte by byte, for tests of code that reads modules (the reader,
/// validation, image handling) without a compiler. Sections are emitted in spec order.
/// Function bodies are a single <c>end</c>, so the modules also compile in a real engine when the
/// declared signatures have no results.
/// </summary>
public sealed class WasmModuleBuilder
{
    private readonly List<(byte[] Parameters, byte[] Results)> _types = [];
    private readonly List<byte[]> _imports = [];
    private readonly List<uint> _functions = [];
    private readonly List<byte[]> _exports = [];
    private readonly List<byte[]> _data = [];
    private readonly List<(string Name, byte[] Content)> _custom = [];
    private int _importedFunctions;
    private bool _memory;

    /// <summary>Adds a function type and returns its index. Value types use their binary codes (0x7F = i32).</summary>
    public uint AddType(byte[] parameters, byte[] results)
    {
        _types.Add((parameters, results));
        return (uint)(_types.Count - 1);
    }

    public WasmModuleBuilder ImportFunction(string module, string name, uint typeIndex)
    {
        _imports.Add([.. Name(module), .. Name(name), 0x00, .. Leb(typeIndex)]);
        _importedFunctions++;
        return this;
    }

    public WasmModuleBuilder ImportMemory(string module, string name, uint minimumPages)
    {
        _imports.Add([.. Name(module), .. Name(name), 0x02, 0x00, .. Leb(minimumPages)]);
        return this;
    }

    /// <summary>Defines a function with an empty body and exports it under <paramref name="exportName"/> when given.</summary>
    public WasmModuleBuilder AddFunction(uint typeIndex, string? exportName = null)
    {
        _functions.Add(typeIndex);
        if (exportName is not null)
        {
            var index = (uint)(_importedFunctions + _functions.Count - 1);
            _exports.Add([.. Name(exportName), 0x00, .. Leb(index)]);
        }

        return this;
    }

    /// <summary>Declares one page of memory and exports it as <c>memory</c>.</summary>
    public WasmModuleBuilder AddMemory()
    {
        _memory = true;
        _exports.Add([.. Name("memory"), 0x02, 0x00]);
        return this;
    }

    /// <summary>An active data segment at <paramref name="offset"/> in memory 0.</summary>
    public WasmModuleBuilder AddData(uint offset, byte[] bytes)
    {
        _data.Add([0x00, 0x41, .. SignedLeb(offset), 0x0B, .. Leb((uint)bytes.Length), .. bytes]);
        return this;
    }

    public WasmModuleBuilder AddData(uint offset, string text, Encoding encoding) => AddData(offset, encoding.GetBytes(text));

    public WasmModuleBuilder AddPassiveData(byte[] bytes)
    {
        _data.Add([0x01, .. Leb((uint)bytes.Length), .. bytes]);
        return this;
    }

    public WasmModuleBuilder AddCustomSection(string name, byte[] content)
    {
        _custom.Add((name, content));
        return this;
    }

    /// <summary>A minimal Proxy-Wasm-looking module: memory, a <c>proxy_abi_version_*</c> marker and a root id string.</summary>
    public static byte[] ProxyWasmModule(string abiMarker = "proxy_abi_version_0_2_1", string rootId = "add_header")
    {
        var builder = new WasmModuleBuilder();
        var voidType = builder.AddType([], []);
        return builder.AddMemory().AddFunction(voidType, abiMarker).AddData(1024, rootId, Encoding.UTF8).Build();
    }

    public byte[] Build()
    {
        var module = new List<byte> { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
        if (_types.Count > 0)
        {
            Section(module, 1, Vector(_types.Select(t => (byte[])[0x60, .. Leb((uint)t.Parameters.Length), .. t.Parameters, .. Leb((uint)t.Results.Length), .. t.Results])));
        }

        if (_imports.Count > 0)
        {
            Section(module, 2, Vector(_imports));
        }

        if (_functions.Count > 0)
        {
            Section(module, 3, Vector(_functions.Select(Leb)));
        }

        if (_memory)
        {
            Section(module, 5, Vector([[0x00, 0x01]]));
        }

        if (_exports.Count > 0)
        {
            Section(module, 7, Vector(_exports));
        }

        if (_functions.Count > 0)
        {
            // Each body: size 2, no locals, end.
            Section(module, 10, Vector(_functions.Select(_ => (byte[])[0x02, 0x00, 0x0B])));
        }

        if (_data.Count > 0)
        {
            Section(module, 11, Vector(_data));
        }

        foreach (var (name, content) in _custom)
        {
            Section(module, 0, [.. Name(name), .. content]);
        }

        return [.. module];
    }

    public static byte[] Leb(uint value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
        return [.. bytes];
    }

    private static byte[] SignedLeb(uint value)
    {
        var signed = (long)value;
        var bytes = new List<byte>();
        while (true)
        {
            var b = (byte)(signed & 0x7F);
            signed >>= 7;
            var done = (signed == 0 && (b & 0x40) == 0) || (signed == -1 && (b & 0x40) != 0);
            bytes.Add(done ? b : (byte)(b | 0x80));
            if (done)
            {
                return [.. bytes];
            }
        }
    }

    private static byte[] Name(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [.. Leb((uint)bytes.Length), .. bytes];
    }

    private static byte[] Vector(IEnumerable<byte[]> items)
    {
        var list = items.ToList();
        return [.. Leb((uint)list.Count), .. list.SelectMany(i => i)];
    }

    private static void Section(List<byte> module, byte id, byte[] content)
    {
        module.Add(id);
        module.AddRange(Leb((uint)content.Length));
        module.AddRange(content);
    }
}
