namespace Wasme.Build.Toolchains;

/// <summary>Shared plumbing for toolchains: locate programs with an install hint, run steps, check the module exists.</summary>
internal static class ToolchainSteps
{
    public static string Require(IToolRunner runner, string program, string installHint) =>
        runner.FindExecutable(program) ?? throw new ToolchainMissingException(program, installHint);

    public static async Task RunAsync(IToolRunner runner, ToolCommand command, ToolchainBuildRequest request, CancellationToken cancellationToken)
    {
        request.Output?.Invoke($"$ {command.Display}");
        var result = await runner.RunAsync(command, request.Output, cancellationToken);
        if (result.ExitCode != 0)
        {
            // 127 is the shell's "command not found": npm without node, a Makefile naming a missing compiler.
            var why = result.ExitCode == 127 && !OperatingSystem.IsWindows()
                ? "; a program it starts is not installed or not on the PATH (the output above names it)"
                : "";
            throw new ToolchainFailedException($"'{command.Display}' failed with exit code {result.ExitCode}{why}", result.OutputTail);
        }
    }

    public static string ExpectModule(string path, string producedBy) =>
        File.Exists(path)
            ? path
            : throw new ToolchainFailedException($"{producedBy} succeeded but did not write {path}", []);
}
