namespace Wasme.FilterTesting.Execution;

/// <summary>
/// The module a filter names is there but cannot be used (not WebAssembly, damaged): the cases that need it fail with
/// this message, and the run goes on with the others, as for a module that does not start.
/// </summary>
public sealed class FilterModuleException : Exception
{
    public FilterModuleException()
    {
    }

    public FilterModuleException(string message)
        : base(message)
    {
    }

    public FilterModuleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
