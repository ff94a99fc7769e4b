namespace Wasme.Cache.Hosting;

/// <summary>The options are invalid; <see cref="Exception.Message"/> lists every problem.</summary>
public sealed class CacheOptionsException : Exception
{
    public CacheOptionsException(IReadOnlyList<string> problems)
        : base("Invalid cache options:\n  " + string.Join("\n  ", problems))
    {
        Problems = problems;
    }

    public CacheOptionsException()
    {
        Problems = [];
    }

    public CacheOptionsException(string message)
        : base(message)
    {
        Problems = [message];
    }

    public CacheOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; }
}
