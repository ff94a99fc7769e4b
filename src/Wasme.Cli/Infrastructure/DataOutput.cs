using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Wasme.Cli.Infrastructure;

/// <summary>
/// Writes a command's data as <c>-o json</c> or <c>-o yaml</c> asked: one document on stdout, unwrapped and unstyled, so
/// it parses back to what was written. The JSON shapes are the records' (docs/cli.md); YAML is the same tree.
/// </summary>
internal static class DataOutput
{
    public static void Write<T>(CliContext context, OutputFormat format, T value, JsonTypeInfo<T> type)
    {
        var text = format switch
        {
            OutputFormat.Json => JsonSerializer.Serialize(value, type) + "\n",
            OutputFormat.Yaml => YamlText.Write(JsonSerializer.SerializeToNode(value, type)),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "text output is the command's own"),
        };
        var writer = context.Out.Profile.Out.Writer;
        writer.Write(text);
        writer.Flush();
    }

    /// <summary>True when the command should write data rather than its text rendering.</summary>
    public static bool IsData(this OutputFormat format) => format is OutputFormat.Json or OutputFormat.Yaml;
}
