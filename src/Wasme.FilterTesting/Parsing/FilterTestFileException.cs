namespace Wasme.FilterTesting.Parsing;

/// <summary>A test file that cannot be run: names the file, the line and what to write instead.</summary>
public sealed class FilterTestFileException(string path, int line, int column, string message)
    : Exception($"{path}:{line}:{column}: {message}")
{
    public string Path { get; } = path;

    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Problem { get; } = message;
}
