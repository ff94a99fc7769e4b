using System.Globalization;
using System.Text;

namespace Wasme.Bench.ProxyWasm;

/// <summary>
/// Writes the add-header filter (add_header.wat) grown to a given size with code, as a real SDK build is mostly
/// code (the Rust and Go SDK examples are 2.5-3.4 MB): what `wasme run` must compile at start. The filler functions
/// are exported so no tool can drop them, and never called.
/// </summary>
internal static class LargeModule
{
    public static void Write(string path, int megabytes)
    {
        var wat = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "add_header.wat"));
        // Real SDK builds have a few thousand functions of some hundred instructions each, not many tiny ones
        // (Cranelift's cost is per function as well as per instruction): about 1 KiB of code per function here.
        var filler = new StringBuilder();
        var target = megabytes * 1024 * 1024;
        var index = 0;
        byte[] binary;
        var step = Math.Max(target / 1024, 10);
        while (true)
        {
            for (var i = 0; i < step; i++, index++)
            {
                filler.Append(CultureInfo.InvariantCulture, $"  (func $f{index} (export \"f{index}\") (param i32) (result i32)\n    local.get 0\n");
                for (var op = 0; op < 100; op++)
                {
                    // Distinct constants per function, so nothing is shared or trivially folded.
                    filler.Append(CultureInfo.InvariantCulture, $"    i32.const {(index * 131) + (op * 7) + 70000} i32.mul local.get 0 i32.xor\n");
                }

                filler.Append("  )\n");
            }

            var text = wat[..wat.LastIndexOf(')')] + "\n" + filler + ")";
            binary = Wasmtime.Module.ConvertText(text).ToArray();
            if (binary.Length >= target)
            {
                break;
            }

            step = Math.Max((int)((target - binary.Length) / ((double)binary.Length / index)) + 1, 10);
        }

        File.WriteAllBytes(path, binary);
        Console.WriteLine($"{path}: {binary.Length} bytes, {index} filler functions");
    }
}
