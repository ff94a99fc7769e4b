namespace Wasme.Build.Toolchains;

/// <summary>What a toolchain needs for one build.</summary>
public sealed record ToolchainBuildRequest
{
    /// <summary>The filter project directory.</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>A scratch directory for outputs that should not land in the project (removed by the caller).</summary>
    public required string ScratchDirectory { get; init; }

    /// <summary>
    /// Skip fetching dependencies (npm install) because they are already in place, e.g. a shared
    /// node_modules in tests. Off by default: a build must not depend on what happens to be on disk.
    /// </summary>
    public bool SkipDependencyInstall { get; init; }

    /// <summary>Receives toolchain output lines as they arrive (progress on a terminal).</summary>
    public Action<string>? Output { get; init; }
}
