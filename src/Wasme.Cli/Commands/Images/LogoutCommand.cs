using System.CommandLine;
using Spectre.Console;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme logout REGISTRY</c>: forget the saved credentials of a registry.</summary>
internal sealed class LogoutCommand : Command
{
    public LogoutCommand(CliContext context)
        : base("logout", "Remove the saved credentials of a registry from the Docker config (or its credential helper).")
    {
        var registry = new Argument<string>("REGISTRY") { Description = "Registry host[:port]." };
        Arguments.Add(registry);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var host = DockerConfigCredentialProvider.Normalize(parseResult.GetValue(registry)!);
            var logins = RegistryLogins.FromEnvironment(context.GetEnvironmentVariable);
            var removed = await logins.RemoveAsync(host, cancellationToken);
            context.Out.WriteLine(removed ? $"Removed credentials for {host}." : $"Not logged in to {host}.", Style.Plain);
            if (await logins.ReadOnlySourceForAsync(host, cancellationToken) is { } other)
            {
                context.Error.WriteLine($"note: {other} still holds credentials for {host} and wasme reads them; 'skopeo logout {host}' removes them.", Style.Plain);
            }

            return ExitCodes.Success;
        }));
    }
}
