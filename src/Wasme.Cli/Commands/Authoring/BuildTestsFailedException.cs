namespace Wasme.Cli.Commands.Authoring;

/// <summary>`wasme build --test`: the filter's tests failed, so the image was not stored.</summary>
internal sealed class BuildTestsFailedException : Exception
{
    public BuildTestsFailedException()
    {
    }

    public BuildTestsFailedException(string message)
        : base(message)
    {
    }

    public BuildTestsFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
