namespace Wasme.Build.Templates;

/// <summary>One file of a template; <see cref="RelativePath"/> uses '/' separators.</summary>
public sealed record TemplateFile(string RelativePath, ReadOnlyMemory<byte> Content);
