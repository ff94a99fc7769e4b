namespace Wasme.Build.Templates;

/// <summary><c>wasme init</c> would overwrite existing files, or the target is not a directory.</summary>
public sealed class TemplateTargetNotEmptyException : Exception
{
    public TemplateTargetNotEmptyException()
    {
    }

    public TemplateTargetNotEmptyException(string message)
        : base(message)
    {
    }

    public TemplateTargetNotEmptyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
