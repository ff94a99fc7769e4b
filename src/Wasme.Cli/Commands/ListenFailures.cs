using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Wasme.Cli.Infrastructure;

namespace Wasme.Cli.Commands;

/// <summary>
/// A listening command (<c>operator</c>, <c>cache</c>, <c>run</c>) whose address is taken: one line naming the address and
/// its flag, exit code 1 (the command line is valid; something else on this machine holds the port).
/// </summary>
internal static class ListenFailures
{
    public static bool IsAddressInUse(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Names the taken address among <paramref name="candidates"/> (address as given, its flag). Kestrel's message names
    /// the endpoint it failed on ("Failed to bind to address http://127.0.0.1:9979: ..."), but not the flag.
    /// </summary>
    public static CommandException Failure(string command, Exception exception, IReadOnlyList<(string Address, string Flag)> candidates)
    {
        var message = exception.Message;
        var (address, flag) = candidates.FirstOrDefault(c => message.Contains($"//{c.Address}:", StringComparison.Ordinal));
        if (address is null)
        {
            // Kestrel writes "localhost" and host names as the address it bound; the port still tells them apart.
            (address, flag) = candidates.FirstOrDefault(c => message.Contains($":{Port(c.Address)}:", StringComparison.Ordinal));
        }

        (address, flag) = address is null ? candidates[0] : (address, flag);
        return new CommandException(ExitCodes.Failure, $"{command}: cannot listen on {address} ({flag}): address already in use; choose another port");
    }

    private static string Port(string address) => address[(address.LastIndexOf(':') + 1)..].TrimEnd('/');
}
