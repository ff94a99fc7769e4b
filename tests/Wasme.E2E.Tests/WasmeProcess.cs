using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Wasme.E2E.Tests;

/// <summary>
/// The real <c>wasme</c> program (the built wasme.dll) as a separate process, as a user or a pod runs it.
/// Output is kept so a failing test can say what the process printed.
/// </summary>
public sealed class WasmeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private WasmeProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public static WasmeProcess Start(string name, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wasme.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start wasme {string.Join(' ', arguments)}");
        return new WasmeProcess(process, name);
    }

    /// <summary>Runs wasme to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        await using var process = Start("wasme", environment, arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process._process.WaitForExitAsync(timeout.Token);
        process._process.WaitForExit(); // drain the asynchronous output readers
        return (process._process.ExitCode, process.Output);
    }

    /// <summary><c>wasme run</c>'s banner line naming the address it bound (the proxy is given port 0).</summary>
    public static Regex RunListening { get; } = new(@"wasme run: listening on http://(?<endpoint>[^\s/]+)");

    /// <summary><c>wasme cache</c>'s log line naming the address it bound (given port 0).</summary>
    public static Regex CacheListening { get; } = new(@"Cache listening on http://(?<endpoint>[^\s/,""]+)");

    /// <summary>
    /// Waits until the process prints the address it bound, or fails with what it printed. Each process is given port 0
    /// and says which port the kernel chose: a port picked free beforehand could be taken by another process first.
    /// </summary>
    public async Task<IPEndPoint> WaitForBoundAsync(Regex line, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (line.Match(Output) is { Success: true } match)
            {
                return IPEndPoint.Parse(match.Groups["endpoint"].Value);
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before listening:\n{Output}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"{Name} did not say where it listens after {timeout}:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL, as the kernel or the kubelet kills a container: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
