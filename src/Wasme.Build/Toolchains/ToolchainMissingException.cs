namespace Wasme.Build.Toolchains;

/// <summary>A program the build needs is not on the PATH. The message names it and how to install it.</summary>
public sealed class ToolchainMissingException : Exception
{
    public ToolchainMissingException(string tool, string installHint)
        : base($"toolchain {tool} missing: install it with {installHint}")
    {
        Tool = tool;
        InstallHint = installHint;
    }

    public ToolchainMissingException()
        : this("?", "?")
    {
    }

    public ToolchainMissingException(string message)
        : base(message)
    {
        Tool = "?";
        InstallHint = "?";
    }

    public ToolchainMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
        Tool = "?";
        InstallHint = "?";
    }

    public string Tool { get; }

    public string InstallHint { get; }
}
