namespace Wasme.Build;

/// <summary>Compile a filter project from source.</summary>
public sealed record FilterCompileRequest
{
    public required FilterLanguage Language { get; init; }

    public required string ProjectDirectory { get; init; }

    /// <summary>The runtime config file; defaults to <c>runtime-config.json</c> in the project.</summary>
    public string? ConfigPath { get; init; }

    /// <inheritdoc cref="Toolchains.ToolchainBuildRequest.SkipDependencyInstall"/>
    public bool SkipDependencyInstall { get; init; }

    /// <summary>Receives toolchain output lines as they arrive.</summary>
    public Action<string>? Output { get; init; }

    public string EffectiveConfigPath => ConfigPath ?? Path.Combine(ProjectDirectory, FilterCompiler.RuntimeConfigFileName);
}
