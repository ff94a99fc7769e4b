using System.CommandLine;

namespace Wasme.Cli.Infrastructure;

/// <summary>How much a command tells about its work on stderr. Credentials are never shown at any level.</summary>
internal enum Verbosity
{
    /// <summary>Results on stdout; warnings and errors on stderr.</summary>
    Normal,

    /// <summary>Also progress detail: toolchain output as it arrives, each registry and Kubernetes request and its status.</summary>
    Verbose,

    /// <summary>Also the wire detail (request and response headers, credentials redacted) and the stack trace of a failure.</summary>
    Debug,
}

/// <summary>Options every command takes, declared once on the root and inherited by every subcommand.</summary>
internal static class GlobalOptions
{
    public const string Verbose = "--verbose";
    public const string Debug = "--debug";

    // New instances per command tree: tests build many trees at once, and a symbol records its parents.
    public static void AddTo(RootCommand root)
    {
        root.Options.Add(new Option<bool>(Verbose, "-v")
        {
            Description = "Show progress detail on stderr: toolchain output, each registry and Kubernetes request (never credentials).",
            Recursive = true,
        });
        root.Options.Add(new Option<bool>(Debug)
        {
            Description = "Like --verbose, plus request and response headers (credentials redacted) and the stack trace of a failure.",
            Recursive = true,
        });
    }

    public static Verbosity GetVerbosity(ParseResult parseResult) =>
        parseResult.GetValue<bool>(Debug) ? Verbosity.Debug
        : parseResult.GetValue<bool>(Verbose) ? Verbosity.Verbose
        : Verbosity.Normal;
}
