namespace Wasme.Cli.Infrastructure;

/// <summary>
/// A failure a command has already put into words: one or more problems (each says what is wrong and the fix),
/// optional detail lines printed under them, and the documented exit code. Thrown by commands; reported by
/// <see cref="CommandFailures"/>.
/// </summary>
internal sealed class CommandException : Exception
{
    public CommandException(int exitCode, string message, params IReadOnlyList<string> details)
        : this(exitCode, [message], details)
    {
    }

    public CommandException(int exitCode, IReadOnlyList<string> problems, IReadOnlyList<string> details)
        : base(problems[0])
    {
        ExitCode = exitCode;
        Problems = problems;
        Details = details;
    }

    public CommandException()
        : this(ExitCodes.Failure, "failed")
    {
    }

    public CommandException(string message)
        : this(ExitCodes.Failure, message)
    {
    }

    public CommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Failure;
        Problems = [message];
        Details = [];
    }

    public int ExitCode { get; }

    public IReadOnlyList<string> Problems { get; }

    public IReadOnlyList<string> Details { get; }

    /// <summary>A bad command line or input file (exit 2).</summary>
    public static CommandException Usage(string message, params IReadOnlyList<string> details) => new(ExitCodes.UsageError, message, details);

    /// <summary>Several problems with the command line, reported together so one run shows every fix (exit 2).</summary>
    public static CommandException Usage(IReadOnlyList<string> problems) => new(ExitCodes.UsageError, problems, []);
}
