using System.Net;
using System.Text.RegularExpressions;

namespace Wasme.Cli.Tests.Run;

/// <summary>
/// Reads the addresses <c>wasme run</c> prints once its ports are bound. Tests listen on port 0 and take the port the
/// kernel chose from here, as a script does: a port picked free beforehand may be taken by another process before
/// wasme binds it.
/// </summary>
internal static partial class ListeningBanner
{
    /// <summary>The proxy's bound address (HTTP or <c>--tcp</c>), or null while it is not printed.</summary>
    public static IPEndPoint? Listen(string output) => Parse(ListenLine(), output);

    /// <summary>The admin endpoint's bound address, or null when there is none (yet).</summary>
    public static IPEndPoint? Admin(string output) => Parse(AdminLine(), output);

    private static IPEndPoint? Parse(Regex line, string output) =>
        line.Match(output) is { Success: true } match ? IPEndPoint.Parse(match.Groups["endpoint"].Value) : null;

    [GeneratedRegex(@"wasme run: listening on (?:http|tcp)://(?<endpoint>\S+)")]
    private static partial Regex ListenLine();

    [GeneratedRegex(@"^  admin http://(?<endpoint>\S+)/stats", RegexOptions.Multiline)]
    private static partial Regex AdminLine();
}
