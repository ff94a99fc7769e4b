using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme logout REGISTRY</c>: forget the saved credentials of a registry.</summary>
internal sealed class LogoutCommand : WasmeCommand
{
    private readonly Argument<string> _registry = new("REGISTRY") { Description = "Registry host[:port]." };

    public LogoutCommand(CliContext context)
        : base(context, "logout", "Remove the saved credentials of a registry from the Docker config (or its credential helper).")
    {
        Arguments.Add(_registry);
        Example("Forget the credentials saved for a registry", "wasme logout ghcr.io");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var host = DockerConfigCredentialProvider.Normalize(parseResult.GetValue(_registry)!);
        var logins = RegistryLogins.FromEnvironment(Context.GetEnvironmentVariable, timeProvider: Context.TimeProvider);
        var removed = await logins.RemoveAsync(host, cancellationToken);
        Context.Out.WriteLine(removed ? $"Removed credentials for {host}." : $"Not logged in to {host}.", Style.Plain);
        if (await logins.ReadOnlySourceForAsync(host, cancellationToken) is { } other)
        {
            Context.Error.WriteLine($"note: {other} still holds credentials for {host} and wasme reads them; 'skopeo logout {host}' removes them.", Style.Plain);
        }

        return ExitCodes.Success;
    }
}
