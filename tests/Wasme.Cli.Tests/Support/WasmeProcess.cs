using System.Diagnostics;

namespace Wasme.Cli.Tests.Support;

/// <summary>
/// Runs the built <c>wasme</c> as a separate process (<c>dotnet wasme.dll</c> from the test's output),
/// for what only separate processes show: cross-process locking, signals, a kill mid-command.
/// </summary>
internal sealed class WasmeProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _outputSoFar = new();
    private readonly Task<string> _output;
    private readonly Task<string> _error;

    private WasmeProcess(Process process)
    {
        _process = process;
        _output = CollectAsync(process.StandardOutput, _outputSoFar);
        _error = process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    /// <summary>What the process has written to stdout so far, for a daemon's log line (such as the port it bound).</summary>
    public string OutputSoFar
    {
        get
        {
            lock (_outputSoFar)
            {
                return _outputSoFar.ToString();
            }
        }
    }

    public static WasmeProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(environment, fileSizeLimitKiB: null, args);

    /// <summary>
    /// Runs wasme where no file it writes may grow past <paramref name="fileSizeLimitKiB"/> (<c>ulimit -f</c>, SIGXFSZ
    /// ignored so the write fails with EFBIG instead): the file system refusing a write, as a full disk does, without one.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunWithFileSizeLimitAsync(IReadOnlyDictionary<string, string> environment, int fileSizeLimitKiB, params string[] args)
    {
        using var process = Start(environment, fileSizeLimitKiB, args);
        return await process.WaitAsync();
    }

    private static WasmeProcess Start(IReadOnlyDictionary<string, string> environment, int? fileSizeLimitKiB, string[] args)
    {
        // A test run launched in the background (nohup …  &) hands its children SIGINT ignored, and .NET keeps an
        // ignored SIGINT ignored: the Ctrl-C tests would then wait for the read timeout. env resets it, then execs
        // dotnet in the same process, as a terminal's foreground command gets it.
        var start = new ProcessStartInfo(OperatingSystem.IsLinux() ? "env" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (OperatingSystem.IsLinux())
        {
            start.ArgumentList.Add("--default-signal=INT");
            if (fileSizeLimitKiB is { } limit)
            {
                start.ArgumentList.Add("bash");
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add($"trap '' XFSZ; ulimit -f {limit}; exec \"$@\"");
                start.ArgumentList.Add("bash");
                // The runtime's W^X double mapping sizes a memfd past any small limit; without it the runtime starts.
                start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
            }

            start.ArgumentList.Add("dotnet");
        }
        else if (fileSizeLimitKiB is not null)
        {
            throw new PlatformNotSupportedException("ulimit -f is set through bash on Linux only.");
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wasme.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["NO_COLOR"] = "1";
        return new WasmeProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet wasme.dll"));
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
        return await process.WaitAsync();
    }

    public async Task<(int ExitCode, string Output, string Error)> WaitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _process.WaitForExitAsync(timeout.Token);
        return (_process.ExitCode, await _output, await _error);
    }

    private static async Task<string> CollectAsync(StreamReader reader, System.Text.StringBuilder text)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (text)
            {
                text.Append(buffer, 0, read);
            }
        }

        lock (text)
        {
            return text.ToString();
        }
    }

    /// <summary>Sends a POSIX signal (SIGINT 2, SIGTERM 15, SIGKILL 9) with kill(1).</summary>
    public async Task SignalAsync(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
