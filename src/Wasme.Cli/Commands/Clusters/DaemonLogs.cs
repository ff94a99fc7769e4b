using System.CommandLine;
using Microsoft.Extensions.Logging;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands.Clusters;

/// <summary>The daemons (<c>operator</c>, <c>cache</c>) log JSON; <c>--verbose</c> and <c>--debug</c> lower its level.</summary>
internal static class DaemonLogs
{
    public static LogLevel MinimumLevel(ParseResult parseResult) => GlobalOptions.GetVerbosity(parseResult) switch
    {
        Verbosity.Debug => LogLevel.Trace,
        Verbosity.Verbose => LogLevel.Debug,
        _ => LogLevel.Information,
    };
}
