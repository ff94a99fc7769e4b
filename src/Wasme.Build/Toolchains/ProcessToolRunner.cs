using System.ComponentModel;
using System.Diagnostics;

namespace Wasme.Build.Toolchains;

/// <summary>
/// Runs toolchain programs as child processes. The PATH comes from the given environment lookup,
/// so the program search and the children (npm starting node, cargo starting rustc) agree.
/// </summary>
public sealed class ProcessToolRunner : IToolRunner
{
    private const int MaxTailLines = 200;

    // A compiler that prints megabytes on one line (a minified bundle, a binary dump) must not flood the terminal
    // when its tail is shown with the error; the start of a line is what says what went wrong.
    public const int MaxLineChars = 4096;
    private readonly Func<string, string?> _getEnvironmentVariable;

    public ProcessToolRunner(Func<string, string?> getEnvironmentVariable)
    {
        _getEnvironmentVariable = getEnvironmentVariable;
    }

    public string? FindExecutable(string program)
    {
        var path = _getEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        string[] extensions = OperatingSystem.IsWindows()
            ? [.. (_getEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries), ""]
            : [""];
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(directory, program + extension);
                if (File.Exists(candidate) && IsExecutable(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    public async Task<ToolResult> RunAsync(ToolCommand command, Action<string>? output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var startInfo = new ProcessStartInfo(command.Executable)
        {
            WorkingDirectory = command.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (_getEnvironmentVariable("PATH") is { } path)
        {
            startInfo.Environment["PATH"] = path;
        }

        foreach (var (name, value) in command.Environment)
        {
            startInfo.Environment[name] = value;
        }

        var tail = new Queue<string>();
        var gate = new object();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            if (line.Length > MaxLineChars)
            {
                line = $"{line[..MaxLineChars]}… ({line.Length - MaxLineChars} more characters)";
            }

            lock (gate)
            {
                tail.Enqueue(line);
                if (tail.Count > MaxTailLines)
                {
                    tail.Dequeue();
                }

                output?.Invoke(line);
            }
        }

        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            // Found on the PATH and executable, yet the kernel will not run it: a broken install, not a wasme bug.
            throw new ToolchainFailedException(
                $"could not start {command.Executable}: {new Win32Exception(ex.NativeErrorCode).Message}; it is a script whose interpreter is missing, " +
                "or a program for another system: reinstall it",
                []);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        // WaitForExitAsync returns after the output streams reach end of file, so the tail is complete.
        lock (gate)
        {
            return new ToolResult(process.ExitCode, [.. tail]);
        }
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows()
        || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
