namespace Wasme.Cli.Infrastructure;

/// <summary>
/// Paths given on the command line: an empty one (<c>""</c>, an unset shell variable) is the caller's mistake, said as
/// such (exit 2), where <see cref="Path.GetFullPath(string)"/> threw and wasme reported a bug.
/// </summary>
internal static class PathArguments
{
    /// <summary>The absolute path of <paramref name="value"/>.</summary>
    /// <param name="value">The path as given.</param>
    /// <param name="name">The argument or flag that gave it, for the message (<c>DIR</c>, <c>--config</c>).</param>
    /// <param name="example">What to give instead, e.g. <c>./my-filter</c>.</param>
    /// <exception cref="CommandException">The path is empty or blank (exit 2).</exception>
    public static string Full(string? value, string name, string example) =>
        string.IsNullOrWhiteSpace(value)
            ? throw CommandException.Usage($"{name} is empty; give a path, e.g. {example}")
            : Path.GetFullPath(value);
}
