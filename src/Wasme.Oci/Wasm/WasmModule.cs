using System.Buffers.Binary;
using System.Text;

namespace Wasme.Oci.Wasm;

/// <summary>
/// The facts wasme needs from a Wasm binary module: signatures, imports, exports and data.
/// Parsing checks the header and the framing of every section with bounds checks; it does not
/// validate code bodies (the engine does that when it compiles the module).
/// </summary>
public sealed class WasmModule
{
    private static readonly byte[] Magic = [0x00, 0x61, 0x73, 0x6D];
    private const uint SupportedVersion = 1;

    private WasmModule(
        IReadOnlyList<WasmFunctionType> types,
        IReadOnlyList<WasmImport> imports,
        IReadOnlyList<WasmExport> exports,
        IReadOnlyList<WasmDataSegment> dataSegments,
        IReadOnlyList<string> customSectionNames)
    {
        Types = types;
        Imports = imports;
        Exports = exports;
        DataSegments = dataSegments;
        CustomSectionNames = customSectionNames;
    }

    public IReadOnlyList<WasmFunctionType> Types { get; }

    public IReadOnlyList<WasmImport> Imports { get; }

    public IReadOnlyList<WasmExport> Exports { get; }

    public IReadOnlyList<WasmDataSegment> DataSegments { get; }

    public IReadOnlyList<string> CustomSectionNames { get; }

    /// <summary>True when <paramref name="bytes"/> starts with the Wasm magic number (<c>\0asm</c>).</summary>
    public static bool HasWasmMagic(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Magic);

    public WasmExport? FindExport(string name)
    {
        foreach (var export in Exports)
        {
            if (string.Equals(export.Name, name, StringComparison.Ordinal))
            {
                return export;
            }
        }

        return null;
    }

    /// <summary>
    /// True when the module's data segments hold <paramref name="text"/> as UTF-8 or as UTF-16LE
    /// (AssemblyScript stores string literals as UTF-16LE). Used to check that a declared root id
    /// is really known to the module.
    /// </summary>
    public bool DataContainsString(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        var utf8 = Encoding.UTF8.GetBytes(text);
        var utf16 = Encoding.Unicode.GetBytes(text);
        foreach (var segment in DataSegments)
        {
            if (Contains(segment.Bytes.Span, utf8) || Contains(segment.Bytes.Span, utf16))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Optimizers (binaryen) drop trailing zero bytes from segments because memory starts zeroed,
    /// so "add_header" in UTF-16LE can end with 'r' and no 0x00. A match may run off the segment's
    /// end only over zero bytes.
    /// </summary>
    private static bool Contains(ReadOnlySpan<byte> segment, ReadOnlySpan<byte> pattern)
    {
        var significant = pattern.TrimEnd((byte)0);
        var trailingZeros = pattern.Length - significant.Length;
        var searchFrom = 0;
        while (searchFrom < segment.Length)
        {
            var found = segment[searchFrom..].IndexOf(significant);
            if (found < 0)
            {
                return false;
            }

            var end = searchFrom + found + significant.Length;
            var available = Math.Min(trailingZeros, segment.Length - end);
            if (!segment.Slice(end, available).ContainsAnyExcept((byte)0))
            {
                return true;
            }

            searchFrom += found + 1;
        }

        return false;
    }

    /// <summary>Parses a Wasm binary. The returned data segments slice <paramref name="bytes"/>, so keep it unchanged.</summary>
    /// <exception cref="WasmFormatException">The bytes are not a well-formed Wasm module.</exception>
    public static WasmModule Parse(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < 8)
        {
            throw new WasmFormatException($"the file is {span.Length} bytes, too short for the 8-byte Wasm header", 0);
        }

        if (!HasWasmMagic(span))
        {
            throw new WasmFormatException("the file does not start with the Wasm magic number \\0asm", 0);
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(span[4..8]);
        if (version != SupportedVersion)
        {
            var hint = version == 0x0001000D ? " (this is a component, not a core module; Proxy-Wasm needs a core module)" : "";
            throw new WasmFormatException($"unsupported binary version 0x{version:x8}{hint}", 4);
        }

        var state = new ParseState();
        var reader = new WasmBinaryReader(span[8..], 8);
        var lastOrder = 0;
        while (!reader.AtEnd)
        {
            var sectionStart = reader.Offset;
            var id = reader.ReadByte("section id");
            var size = reader.ReadLength($"size of section {id}");
            var contentOffset = reader.Offset;
            var content = reader.ReadBytes(size, $"section {id}");
            if (id != 0)
            {
                var order = SectionOrder(id, sectionStart);
                if (order <= lastOrder)
                {
                    throw new WasmFormatException($"section {SectionName(id)} is duplicated or out of order", sectionStart);
                }

                lastOrder = order;
            }

            var sectionReader = new WasmBinaryReader(content, contentOffset);
            ReadSection(id, ref sectionReader, state, bytes.Slice(contentOffset, size));
            if (!sectionReader.AtEnd)
            {
                throw sectionReader.Error($"section {SectionName(id)} has {sectionReader.Remaining} bytes left over after its contents");
            }
        }

        return new WasmModule(state.Types, state.Imports, state.Exports, state.Data, state.CustomSectionNames);
    }

    private static void ReadSection(byte id, ref WasmBinaryReader reader, ParseState state, ReadOnlyMemory<byte> content)
    {
        switch (id)
        {
            case 0:
                state.CustomSectionNames.Add(reader.ReadName("custom section name"));
                reader.Skip(reader.Remaining, "custom section");
                break;
            case 1:
                ReadTypes(ref reader, state);
                break;
            case 2:
                ReadImports(ref reader, state);
                break;
            case 3:
                ReadFunctions(ref reader, state);
                break;
            case 7:
                ReadExports(ref reader, state);
                break;
            case 11:
                ReadData(ref reader, state, content);
                break;
            default:
                // Tables, memories, globals, start, elements, code, data count, tags: framing only.
                reader.Skip(reader.Remaining, SectionName(id));
                break;
        }
    }

    private static void ReadTypes(ref WasmBinaryReader reader, ParseState state)
    {
        var count = reader.ReadCount("type count");
        for (var i = 0; i < count; i++)
        {
            var form = reader.ReadByte("type form");
            if (form != 0x60)
            {
                throw reader.Error($"type {i} has form 0x{form:x2}; only function types (0x60) are supported");
            }

            var parameters = ReadValueTypes(ref reader, $"parameters of type {i}");
            var results = ReadValueTypes(ref reader, $"results of type {i}");
            state.Types.Add(new WasmFunctionType(parameters, results));
        }
    }

    private static WasmValueType[] ReadValueTypes(ref WasmBinaryReader reader, string what)
    {
        var count = reader.ReadCount($"count of {what}");
        if (count == 0)
        {
            return [];
        }

        var types = new WasmValueType[count];
        for (var i = 0; i < count; i++)
        {
            types[i] = ReadValueType(ref reader, what);
        }

        return types;
    }

    private static WasmValueType ReadValueType(ref WasmBinaryReader reader, string what)
    {
        var b = reader.ReadByte(what);
        return b switch
        {
            0x7F or 0x7E or 0x7D or 0x7C or 0x7B or 0x70 or 0x6F => (WasmValueType)b,
            _ => throw reader.Error($"{what} has unknown value type 0x{b:x2}"),
        };
    }

    private static void ReadImports(ref WasmBinaryReader reader, ParseState state)
    {
        var count = reader.ReadCount("import count");
        for (var i = 0; i < count; i++)
        {
            var module = reader.ReadName($"module name of import {i}");
            var name = reader.ReadName($"name of import {i}");
            var kind = reader.ReadByte($"kind of import {module}.{name}");
            switch (kind)
            {
                case (byte)WasmExternalKind.Function:
                    var type = TypeAt(ref reader, state, reader.ReadVarUInt32("type index"), $"import {module}.{name}");
                    state.FunctionTypeIndexes.Add(type);
                    state.Imports.Add(new WasmImport(module, name, WasmExternalKind.Function, state.Types[(int)type]));
                    break;
                case (byte)WasmExternalKind.Table:
                    ReadValueType(ref reader, $"element type of import {module}.{name}");
                    SkipLimits(ref reader, $"limits of import {module}.{name}");
                    state.Imports.Add(new WasmImport(module, name, WasmExternalKind.Table, null));
                    break;
                case (byte)WasmExternalKind.Memory:
                    SkipLimits(ref reader, $"limits of import {module}.{name}");
                    state.Imports.Add(new WasmImport(module, name, WasmExternalKind.Memory, null));
                    break;
                case (byte)WasmExternalKind.Global:
                    ReadValueType(ref reader, $"type of import {module}.{name}");
                    var mutability = reader.ReadByte("global mutability");
                    if (mutability > 1)
                    {
                        throw reader.Error($"import {module}.{name} has invalid mutability {mutability}");
                    }

                    state.Imports.Add(new WasmImport(module, name, WasmExternalKind.Global, null));
                    break;
                case (byte)WasmExternalKind.Tag:
                    reader.ReadByte("tag attribute");
                    TypeAt(ref reader, state, reader.ReadVarUInt32("tag type index"), $"import {module}.{name}");
                    state.Imports.Add(new WasmImport(module, name, WasmExternalKind.Tag, null));
                    break;
                default:
                    throw reader.Error($"import {module}.{name} has unknown kind 0x{kind:x2}");
            }
        }
    }

    private static void SkipLimits(ref WasmBinaryReader reader, string what)
    {
        // Bit 0: has maximum; bit 1: shared (threads); bit 2: 64-bit (memory64).
        var flags = reader.ReadByte(what);
        if (flags > 0x07)
        {
            throw reader.Error($"{what} has unknown flags 0x{flags:x2}");
        }

        var wide = (flags & 0x04) != 0;
        var count = (flags & 0x01) != 0 ? 2 : 1;
        for (var i = 0; i < count; i++)
        {
            if (wide)
            {
                reader.ReadVarUInt64(what);
            }
            else
            {
                reader.ReadVarUInt32(what);
            }
        }
    }

    private static void ReadFunctions(ref WasmBinaryReader reader, ParseState state)
    {
        var count = reader.ReadCount("function count");
        for (var i = 0; i < count; i++)
        {
            state.FunctionTypeIndexes.Add(TypeAt(ref reader, state, reader.ReadVarUInt32("type index"), $"function {i}"));
        }
    }

    private static uint TypeAt(ref WasmBinaryReader reader, ParseState state, uint index, string owner)
    {
        if (index >= (uint)state.Types.Count)
        {
            throw reader.Error($"{owner} refers to type {index} but the module declares {state.Types.Count} types");
        }

        return index;
    }

    private static void ReadExports(ref WasmBinaryReader reader, ParseState state)
    {
        var count = reader.ReadCount("export count");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadName($"name of export {i}");
            var kindByte = reader.ReadByte($"kind of export {name}");
            if (kindByte > (byte)WasmExternalKind.Tag)
            {
                throw reader.Error($"export {name} has unknown kind 0x{kindByte:x2}");
            }

            var index = reader.ReadVarUInt32($"index of export {name}");
            if (!names.Add(name))
            {
                throw reader.Error($"export name {name} is used twice");
            }

            var kind = (WasmExternalKind)kindByte;
            WasmFunctionType? type = null;
            if (kind == WasmExternalKind.Function)
            {
                if (index >= (uint)state.FunctionTypeIndexes.Count)
                {
                    throw reader.Error($"export {name} refers to function {index} but the module has {state.FunctionTypeIndexes.Count} functions");
                }

                type = state.Types[(int)state.FunctionTypeIndexes[(int)index]];
            }

            state.Exports.Add(new WasmExport(name, kind, index, type));
        }
    }

    private static void ReadData(ref WasmBinaryReader reader, ParseState state, ReadOnlyMemory<byte> content)
    {
        var count = reader.ReadCount("data segment count");
        for (var i = 0; i < count; i++)
        {
            var flags = reader.ReadVarUInt32($"flags of data segment {i}");
            var passive = false;
            switch (flags)
            {
                case 0:
                    SkipConstantExpression(ref reader, $"offset of data segment {i}");
                    break;
                case 1:
                    passive = true;
                    break;
                case 2:
                    reader.ReadVarUInt32($"memory index of data segment {i}");
                    SkipConstantExpression(ref reader, $"offset of data segment {i}");
                    break;
                default:
                    throw reader.Error($"data segment {i} has unknown flags {flags}");
            }

            var length = reader.ReadLength($"size of data segment {i}");
            var start = reader.Position;
            reader.Skip(length, $"data segment {i}");
            state.Data.Add(new WasmDataSegment(content.Slice(start, length), passive));
        }
    }

    private static void SkipConstantExpression(ref WasmBinaryReader reader, string what)
    {
        while (true)
        {
            var opcode = reader.ReadByte(what);
            switch (opcode)
            {
                case 0x0B: // end
                    return;
                case 0x41: // i32.const
                    reader.SkipVarSigned(32, what);
                    break;
                case 0x42: // i64.const
                    reader.SkipVarSigned(64, what);
                    break;
                case 0x43: // f32.const
                    reader.Skip(4, what);
                    break;
                case 0x44: // f64.const
                    reader.Skip(8, what);
                    break;
                case 0x23: // global.get
                case 0xD2: // ref.func
                    reader.ReadVarUInt32(what);
                    break;
                case 0xD0: // ref.null
                    reader.ReadByte(what);
                    break;
                case 0x6A or 0x6B or 0x6C or 0x7C or 0x7D or 0x7E: // extended-const arithmetic
                    break;
                default:
                    throw reader.Error($"{what} uses opcode 0x{opcode:x2}, which is not allowed in a constant expression");
            }
        }
    }

    private static int SectionOrder(byte id, int offset) => id switch
    {
        1 => 1,   // type
        2 => 2,   // import
        3 => 3,   // function
        4 => 4,   // table
        5 => 5,   // memory
        13 => 6,  // tag
        6 => 7,   // global
        7 => 8,   // export
        8 => 9,   // start
        9 => 10,  // element
        12 => 11, // data count
        10 => 12, // code
        11 => 13, // data
        _ => throw new WasmFormatException($"unknown section id {id}", offset),
    };

    private static string SectionName(byte id) => id switch
    {
        0 => "custom",
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data count",
        13 => "tag",
        _ => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed class ParseState
    {
        public List<WasmFunctionType> Types { get; } = [];

        public List<WasmImport> Imports { get; } = [];

        /// <summary>Type index of every function in the function index space (imports first).</summary>
        public List<uint> FunctionTypeIndexes { get; } = [];

        public List<WasmExport> Exports { get; } = [];

        public List<WasmDataSegment> Data { get; } = [];

        public List<string> CustomSectionNames { get; } = [];
    }
}
