namespace Wasme.Build.Toolchains;

/// <summary>Turns a filter project in one language into a Wasm module file.</summary>
public interface IFilterToolchain
{
    FilterLanguage Language { get; }

    /// <summary>Builds the project; returns the path of the module it wrote.</summary>
    /// <exception cref="ToolchainMissingException">A required program is not installed.</exception>
    /// <exception cref="ToolchainFailedException">A step failed or wrote no module.</exception>
    Task<string> BuildAsync(ToolchainBuildRequest request, CancellationToken cancellationToken);
}
