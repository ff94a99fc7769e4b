namespace Wasme.Testing.Registry;

/// <summary>
/// Hand-made valid Proxy-Wasm modules: one function exported as <c>proxy_abi_version_0_2_1</c> and
/// as <c>proxy_on_memory_allocate</c>, padded with a custom section to any size so transfers of
/// 1 MiB or 32 MiB can be tested without a toolchain.
/// </summary>
public static class TestWasmModule
{
    public static byte[] Create(int approximateSize = 256, byte seed = 0) => Build(approximateSize, pad => new Random(seed).NextBytes(pad));

    /// <summary>Padded with zeros: gzip shrinks it a thousandfold, to play a compat layer that expands past a bound.</summary>
    public static byte[] CreateCompressible(int approximateSize) => Build(approximateSize, _ => { });

    private static byte[] Build(int approximateSize, Action<byte[]> fill)
    {
        var module = new List<byte> { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
        Section(module, 1, [0x01, 0x60, 0x00, 0x00]);                 // type: () -> ()
        Section(module, 3, [0x01, 0x00]);                             // one function of type 0
        var exports = new List<byte> { 0x02 };
        Export(exports, "proxy_abi_version_0_2_1");
        Export(exports, "proxy_on_memory_allocate");
        Section(module, 7, [.. exports]);
        Section(module, 10, [0x01, 0x02, 0x00, 0x0b]);                // body: no locals, end
        var padding = Math.Max(0, approximateSize - module.Count - 16);
        var custom = new List<byte>();
        var name = "wasme-test-padding"u8.ToArray();
        custom.AddRange(Leb(name.Length));
        custom.AddRange(name);
        var pad = new byte[padding];
        fill(pad);
        custom.AddRange(pad);
        Section(module, 0, [.. custom]);
        return [.. module];
    }

    private static void Export(List<byte> exports, string name)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        exports.AddRange(Leb(bytes.Length));
        exports.AddRange(bytes);
        exports.Add(0x00); // func
        exports.Add(0x00); // index 0
    }

    private static void Section(List<byte> module, byte id, byte[] content)
    {
        module.Add(id);
        module.AddRange(Leb(content.Length));
        module.AddRange(content);
    }

    private static byte[] Leb(int value)
    {
        var bytes = new List<byte>();
        var v = (uint)value;
        do
        {
            var b = (byte)(v & 0x7f);
            v >>= 7;
            if (v != 0)
            {
                b |= 0x80;
            }

            bytes.Add(b);
        }
        while (v != 0);
        return [.. bytes];
    }
}
