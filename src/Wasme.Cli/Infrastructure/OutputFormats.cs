namespace Wasme.Cli.Infrastructure;

/// <summary>What <c>-o/--output</c> selects for a command that prints data.</summary>
internal enum OutputFormat
{
    /// <summary>For people: a table or aligned lines.</summary>
    Text,

    /// <summary>For programs: the shape docs/cli.md documents, indented, stable across releases.</summary>
    Json,

    /// <summary>The same document as JSON, in YAML.</summary>
    Yaml,
}

internal static class OutputFormats
{
    public static IReadOnlyList<(string Word, OutputFormat Value)> Words { get; } =
    [
        ("text", OutputFormat.Text),
        ("json", OutputFormat.Json),
        ("yaml", OutputFormat.Yaml),
    ];

    public static EnumOption<OutputFormat> CreateOption(OutputFormat defaultFormat) =>
        new("--output", ["-o"], Words, "Output format (docs/cli.md documents the JSON and YAML shapes).", defaultFormat);
}
