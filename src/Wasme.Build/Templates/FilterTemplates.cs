namespace Wasme.Build.Templates;

/// <summary>The templates embedded from the repository's <c>templates/</c> directory, one per language.</summary>
public static class FilterTemplates
{
    private const string ResourcePrefix = "templates/";

    public static FilterTemplate For(FilterLanguage language) => language switch
    {
        FilterLanguage.AssemblyScript => Load(language, "@solo-io/proxy-runtime 0.1.8 with assemblyscript 0.14.9", "v0.2.0"),
        FilterLanguage.Rust => Load(language, "proxy-wasm crate 0.2", "v0.2.1"),
        FilterLanguage.TinyGo => Load(language, "proxy-wasm-go-sdk 0.24.0", "v0.2.0"),
        FilterLanguage.Cpp => Load(language, "proxy-wasm-cpp-sdk with Emscripten", "v0.2.1"),
        _ => throw new ArgumentOutOfRangeException(nameof(language)),
    };

    private static FilterTemplate Load(FilterLanguage language, string sdk, string abiVersion)
    {
        var assembly = typeof(FilterTemplates).Assembly;
        var prefix = ResourcePrefix + FilterLanguages.Name(language) + "/";
        var files = new List<TemplateFile>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var name = resource.Replace('\\', '/');
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            files.Add(new TemplateFile(name[prefix.Length..], content));
        }

        if (files.Count == 0)
        {
            throw new InvalidOperationException($"the {FilterLanguages.Name(language)} template is not embedded in {assembly.GetName().Name}; the build is broken");
        }

        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return new FilterTemplate(language, sdk, abiVersion, "add_header", files);
    }
}
