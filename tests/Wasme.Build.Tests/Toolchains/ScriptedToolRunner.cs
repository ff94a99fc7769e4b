using Wasme.Build.Toolchains;

namespace Wasme.Build.Tests.Toolchains;

/// <summary>
/// Stands in for cargo, tinygo and make, which cannot be installed on the test machines: records
/// each command and plays the compiler's part with <see cref="OnRun"/> (e.g. writing the module).
/// </summary>
internal sealed class ScriptedToolRunner(params string[] installed) : IToolRunner
{
    public List<ToolCommand> Commands { get; } = [];

    public Func<ToolCommand, ToolResult> OnRun { get; set; } = _ => new ToolResult(0, []);

    public string? FindExecutable(string program) => installed.Contains(program) ? "/opt/toolchain/bin/" + program : null;

    public Task<ToolResult> RunAsync(ToolCommand command, Action<string>? output, CancellationToken cancellationToken)
    {
        Commands.Add(command);
        return Task.FromResult(OnRun(command));
    }
}
