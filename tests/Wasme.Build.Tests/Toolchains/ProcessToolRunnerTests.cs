using Wasme.Build.Toolchains;

namespace Wasme.Build.Tests.Toolchains;

/// <summary>The runner against real programs (/bin/sh), as toolchains behave when they go wrong.</summary>
public sealed class ProcessToolRunnerTests
{
    private const int MaxLineChars = 4096;

    [Fact]
    public async Task A_megabyte_output_line_is_cut_so_the_failure_report_stays_readable()
    {
        var runner = new ProcessToolRunner(Environment.GetEnvironmentVariable);
        var seen = new List<string>();
        var command = new ToolCommand("/bin/sh", ["-c", "head -c 2000000 /dev/zero | tr '\\0' a; echo; echo 'error: out of memory' >&2; exit 3"], Path.GetTempPath());

        var result = await runner.RunAsync(command, seen.Add, CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal(2, result.OutputTail.Count);
        var longLine = result.OutputTail.Single(line => line.StartsWith('a'));
        Assert.EndsWith($"… ({2_000_000 - MaxLineChars} more characters)", longLine, StringComparison.Ordinal);
        Assert.True(longLine.Length < MaxLineChars + 64, $"kept {longLine.Length} characters");
        Assert.Contains("error: out of memory", result.OutputTail);
        Assert.All(seen, line => Assert.True(line.Length < MaxLineChars + 64));
    }

    [Fact]
    public async Task A_toolchain_program_that_cannot_start_is_a_toolchain_failure_naming_it()
    {
        // An npm whose interpreter was removed: the kernel refuses to start it, before any output.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var directory = Directory.CreateTempSubdirectory("wasme-runner-tests-");
        try
        {
            var program = Path.Combine(directory.FullName, "npm");
            await File.WriteAllTextAsync(program, "#!/nonexistent/interpreter\n");
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var runner = new ProcessToolRunner(Environment.GetEnvironmentVariable);

            var error = await Assert.ThrowsAsync<ToolchainFailedException>(
                () => runner.RunAsync(new ToolCommand(program, ["install"], directory.FullName), null, CancellationToken.None));

            Assert.StartsWith($"could not start {program}: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("reinstall it", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
