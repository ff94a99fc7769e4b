namespace Wasme.Build.Toolchains;

/// <summary>How a <see cref="ToolCommand"/> ended, with its last output lines (stdout and stderr interleaved).</summary>
public sealed record ToolResult(int ExitCode, IReadOnlyList<string> OutputTail);
