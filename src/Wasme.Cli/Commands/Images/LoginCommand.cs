using System.CommandLine;
using Spectre.Console;
using Wasme.Oci.Errors;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme login REGISTRY [-u USER] [--password-stdin]</c>: check and save credentials in the Docker config or its credential helper.</summary>
internal sealed class LoginCommand : Command
{
    public LoginCommand(CliContext context)
        : base("login", "Log in to a registry: the credentials are checked against it, then saved where docker, skopeo and oras read them: the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json, owner-only), or its credential helper.")
    {
        var registry = new Argument<string>("REGISTRY") { Description = "Registry host[:port], e.g. ghcr.io or 127.0.0.1:5000." };
        var username = new Option<string?>("--username", "-u") { Description = "User name (prompted for on a terminal when missing)." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input." };
        var password = new Option<string?>("--password", "-p") { Description = "Password on the command line (visible to other users; prefer --password-stdin)." };
        var plainHttp = new Option<bool>("--plain-http") { Description = "Use plain HTTP." };
        var insecure = new Option<bool>("--insecure") { Description = "Do not verify TLS certificates." };
        Arguments.Add(registry);
        Options.Add(username);
        Options.Add(passwordStdin);
        Options.Add(password);
        Options.Add(plainHttp);
        Options.Add(insecure);

        SetAction((parseResult, cancellationToken) => ImageErrors.RunAsync(context, async () =>
        {
            var host = DockerConfigCredentialProvider.Normalize(parseResult.GetValue(registry)!);
            var user = parseResult.GetValue(username);
            var secret = parseResult.GetValue(password);
            if (secret is not null)
            {
                context.Error.WriteLine("warning: --password is visible to other users of this machine; use --password-stdin.", Style.Plain);
            }
            else if (parseResult.GetValue(passwordStdin))
            {
                secret = (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n');
            }

            if (user is null && context.IsInteractive)
            {
                user = await context.Out.PromptAsync(new TextPrompt<string>("Username:"), cancellationToken);
            }

            if (secret is null && context.IsInteractive)
            {
                secret = await context.Out.PromptAsync(new TextPrompt<string>("Password:").Secret(), cancellationToken);
            }

            if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(secret))
            {
                throw new OciUsageException("Give a user with --username and the password with --password-stdin (no terminal to prompt on).");
            }

            var credential = new RegistryCredential(user, secret);
            var options = new RegistryClientOptions { PlainHttp = parseResult.GetValue(plainHttp), Insecure = parseResult.GetValue(insecure) };
            using (var client = new RegistryClient(options, new StaticCredentialProvider(credential), timeProvider: context.TimeProvider))
            {
                await client.CheckAccessAsync(host, cancellationToken);
            }

            var savedTo = await RegistryLogins.FromEnvironment(context.GetEnvironmentVariable).SaveAsync(host, credential, cancellationToken);
            context.Out.WriteLine($"Login succeeded for {user} at {host} (saved to {savedTo}).", Style.Plain);
            return ExitCodes.Success;
        }));
    }
}
