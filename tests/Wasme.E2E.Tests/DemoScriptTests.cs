using System.Diagnostics;

namespace Wasme.E2E.Tests;

/// <summary>README's main-job command, run as a newcomer runs it: it must end by itself, with exit 0.</summary>
public sealed class DemoScriptTests
{
    [Fact]
    public async Task Demo_script_ends_by_itself_after_showing_the_filters_header()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(ClusterEnvironment.RepositoryRoot, "eng", "demo.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = ClusterEnvironment.RepositoryRoot,
        };
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // A guard against a demo that never ends, not a speed check: the demo compiles the CLI into its own directory,
        // which took over 5 minutes on a 2-core machine busy with other builds (it takes about 1 on a quiet one).
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"eng/demo.sh did not end within 10 minutes:\n{await output}\n{await error}");
        }

        var text = await output;
        Assert.True(process.ExitCode == 0, $"eng/demo.sh exited {process.ExitCode}:\n{text}\n{await error}");
        Assert.Contains("hello: world", text, StringComparison.OrdinalIgnoreCase);
        var lastLine = text.TrimEnd().Split('\n')[^1];
        Assert.Contains("Done:", lastLine, StringComparison.Ordinal);
    }
}
