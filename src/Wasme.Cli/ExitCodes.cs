namespace Wasme.Cli;

/// <summary>
/// Process exit codes. Distinct per failure class so scripts can react without parsing text.
/// Documented in README.md; <c>wasme exit-codes</c> prints this table.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Failure with no better class: a bug, a damaged local store, or the machine refused (e.g. a listen address already in use).</summary>
    public const int Failure = 1;
    /// <summary>Bad command line or bad input file (the message says which and how to fix it).</summary>
    public const int UsageError = 2;
    /// <summary>The named image, tag, file or resource does not exist.</summary>
    public const int NotFound = 3;
    /// <summary>The registry or cluster refused our credentials, or none were given.</summary>
    public const int AuthFailure = 4;
    /// <summary>Could not reach the registry or cluster, or it failed (5xx) after retries.</summary>
    public const int NetworkFailure = 5;
    /// <summary>Content did not match its digest, exceeded a size bound, or failed signature verification; nothing was stored.</summary>
    public const int IntegrityFailure = 6;
    /// <summary>A required external toolchain (npm, cargo, tinygo, clang) is missing or failed.</summary>
    public const int ToolchainFailure = 7;
    /// <summary>Interrupted (Ctrl+C or SIGTERM).</summary>
    public const int Cancelled = 130;

    public static IReadOnlyList<(int Code, string Name, string Meaning)> All { get; } =
    [
        (Success, "success", "the command did what was asked"),
        (Failure, "failure", "failure with no better class: a failing wasme test case, a listen address in use, a damaged local store or one the file system refuses (the message names the repair)"),
        (UsageError, "usage", "bad arguments or invalid input; the message names the fix"),
        (NotFound, "not-found", "image, tag, file or resource not found"),
        (AuthFailure, "auth", "authentication or authorization failed"),
        (NetworkFailure, "network", "registry or cluster unreachable or failing"),
        (IntegrityFailure, "integrity", "digest mismatch, size bound exceeded or signature verification failed; nothing stored"),
        (ToolchainFailure, "toolchain", "a build toolchain is missing or failed"),
        (Cancelled, "cancelled", "interrupted (Ctrl-C or SIGTERM)"),
    ];
}
