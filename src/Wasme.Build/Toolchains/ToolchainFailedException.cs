namespace Wasme.Build.Toolchains;

/// <summary>A toolchain step exited with an error, or did not produce its module. <see cref="Output"/> is its last output lines.</summary>
public sealed class ToolchainFailedException : Exception
{
    public ToolchainFailedException(string message, IReadOnlyList<string> output)
        : base(message)
    {
        Output = output;
    }

    public ToolchainFailedException()
    {
        Output = [];
    }

    public ToolchainFailedException(string message)
        : this(message, [])
    {
    }

    public ToolchainFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Output = [];
    }

    public IReadOnlyList<string> Output { get; }
}
