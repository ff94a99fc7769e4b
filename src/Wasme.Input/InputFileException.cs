namespace Wasme.Input;

/// <summary>A file a user named is not one wasme can read as input: a directory, or too large.</summary>
public sealed class InputFileException(string path, string problem) : IOException($"{path} {problem}")
{
    public string Path { get; } = path;

    /// <summary>What is wrong and the fix, without the path: "is a directory; pass the file itself".</summary>
    public string Problem { get; } = problem;
}
