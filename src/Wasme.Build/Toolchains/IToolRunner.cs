namespace Wasme.Build.Toolchains;

/// <summary>The edge where builds touch the operating system: finding and running programs.</summary>
public interface IToolRunner
{
    /// <summary>Full path of <paramref name="program"/> on the PATH, or null when it is not installed.</summary>
    string? FindExecutable(string program);

    /// <summary>Runs the command; each output line goes to <paramref name="output"/> as it arrives.</summary>
    Task<ToolResult> RunAsync(ToolCommand command, Action<string>? output, CancellationToken cancellationToken);
}
