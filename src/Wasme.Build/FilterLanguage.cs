namespace Wasme.Build;

/// <summary>Source languages wasme can initialise and build.</summary>
public enum FilterLanguage
{
    AssemblyScript,
    Rust,
    TinyGo,
    Cpp,
}

/// <summary>Command-line names of <see cref="FilterLanguage"/> values (<c>assemblyscript</c>, <c>rust</c>, <c>tinygo</c>, <c>cpp</c>).</summary>
public static class FilterLanguages
{
    public static IReadOnlyList<FilterLanguage> All { get; } =
        [FilterLanguage.AssemblyScript, FilterLanguage.Rust, FilterLanguage.TinyGo, FilterLanguage.Cpp];

    public static string Name(FilterLanguage language) => language switch
    {
        FilterLanguage.AssemblyScript => "assemblyscript",
        FilterLanguage.Rust => "rust",
        FilterLanguage.TinyGo => "tinygo",
        FilterLanguage.Cpp => "cpp",
        _ => throw new ArgumentOutOfRangeException(nameof(language)),
    };

    public static bool TryParse(string? name, out FilterLanguage language)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(name, Name(candidate), StringComparison.OrdinalIgnoreCase))
            {
                language = candidate;
                return true;
            }
        }

        language = default;
        return false;
    }
}
