namespace Wasme.Build.Validation;

/// <summary>The module cannot be stored as a filter image. The message lists every problem and its fix.</summary>
public sealed class ModuleValidationException : Exception
{
    public ModuleValidationException(string source, IReadOnlyList<string> problems)
        : base($"{source} is not a usable Proxy-Wasm filter:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}")
    {
        Problems = problems;
    }

    public ModuleValidationException()
    {
        Problems = [];
    }

    public ModuleValidationException(string message)
        : base(message)
    {
        Problems = [message];
    }

    public ModuleValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; }
}
