namespace Wasme.Build.Templates;

/// <summary>An embedded add-header filter project for one language.</summary>
public sealed record FilterTemplate(
    FilterLanguage Language,
    string Sdk,
    string AbiVersion,
    string RootId,
    IReadOnlyList<TemplateFile> Files);
