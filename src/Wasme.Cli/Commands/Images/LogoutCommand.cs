using System.CommandLine;
using Spectre.Console;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme logout REGISTRY</c>: forget the saved credentials of a registry.</summary>
internal sealed class LogoutCommand : Command
{
    public LogoutCommand(CliContext context)
        : base("logout", "Remove the saved credentials of a registry from ~/.wasme/credentials.json.")
    {
        var registry = new Argument<string>("REGISTRY") { Description = "Registry host[:port]." };
        Arguments.Add(registry);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var host = DockerConfigCredentialProvider.Normalize(parseResult.GetValue(registry)!);
            var file = DockerConfigCredentialProvider.DefaultWasmeConfigPath(context.GetEnvironmentVariable);
            var removed = await new CredentialStore(file).RemoveAsync(host, cancellationToken);
            context.Out.WriteLine(removed ? $"Removed credentials for {host}." : $"Not logged in to {host}.", Style.Plain);
            return ExitCodes.Success;
        }));
    }
}
