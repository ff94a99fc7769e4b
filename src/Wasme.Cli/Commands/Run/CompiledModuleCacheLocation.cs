namespace Wasme.Cli.Commands.Run;

/// <summary>
/// Where <c>wasme run</c> keeps compiled modules: <c>$XDG_CACHE_HOME/wasme/compiled</c>, else
/// <c>~/.cache/wasme/compiled</c>. A cache in the XDG sense: deleting it costs one recompile per module.
/// </summary>
internal static class CompiledModuleCacheLocation
{
    public static string Resolve(Func<string, string?> getEnvironmentVariable)
    {
        // XDG: a relative XDG_CACHE_HOME is invalid and must be ignored.
        var root = getEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(getEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "wasme", "compiled");
    }
}
