namespace Wasme.Build.Toolchains;

/// <summary>One external program run: what, with which arguments, where, and extra environment.</summary>
public sealed record ToolCommand(
    string Executable,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The command as a user would type it, for progress and error messages.</summary>
    public string Display => string.Join(' ', new[] { Path.GetFileName(Executable) }.Concat(Arguments.Select(Quote)));

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(c => char.IsWhiteSpace(c) || c == '"') ? argument : $"\"{argument}\"";
}
