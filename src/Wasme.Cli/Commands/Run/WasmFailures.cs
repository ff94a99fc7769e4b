namespace Wasme.Cli.Commands.Run;

/// <summary>Turns Wasmtime's multi-line reports (message, backtrace, "Caused by:") into the one reason a user acts on.</summary>
internal static class WasmFailures
{
    public static string Reason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var causedBy = Array.IndexOf(lines, "Caused by:");
        return causedBy >= 0 && causedBy + 1 < lines.Length ? lines[causedBy + 1] : lines.FirstOrDefault() ?? message;
    }

    /// <summary>True when the module trapped creating its root context: with the SDKs, the sign of a root id it does not register.</summary>
    public static bool IsRootContextFailure(string message) =>
        message.Contains("proxy_on_context_create failed", StringComparison.Ordinal);
}
