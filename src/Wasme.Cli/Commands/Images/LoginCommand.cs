using System.CommandLine;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Errors;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Cli.Commands.Images;

/// <summary><c>wasme login REGISTRY [-u USER] [--password-stdin]</c>: check and save credentials in the Docker config or its credential helper.</summary>
internal sealed class LoginCommand : WasmeCommand
{
    private readonly Argument<string> _registry = new("REGISTRY") { Description = "Registry host[:port], e.g. ghcr.io or 127.0.0.1:5000." };
    private readonly Option<string?> _username = new("--username", "-u") { Description = "User name (prompted for on a terminal when missing)." };
    private readonly Option<bool> _passwordStdin = new("--password-stdin") { Description = "Read the password from standard input." };
    private readonly Option<string?> _password = new("--password", "-p") { Description = "Password on the command line (visible to other users; prefer --password-stdin)." };
    private readonly Option<bool> _plainHttp = new("--plain-http") { Description = "Use plain HTTP." };
    private readonly Option<bool> _insecure = new("--insecure") { Description = "Do not verify TLS certificates." };

    public LoginCommand(CliContext context)
        : base(context, "login", "Log in to a registry: the credentials are checked against it, then saved where docker, skopeo and oras read them: the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json, owner-only), or its credential helper.")
    {
        Arguments.Add(_registry);
        Options.Add(_username);
        Options.Add(_passwordStdin);
        Options.Add(_password);
        Options.Add(_plainHttp);
        Options.Add(_insecure);
        Example("Log in with the password (or token) from a file, not the command line", "wasme login ghcr.io -u octocat --password-stdin < token.txt");
        Example("Log in on a terminal: prompts for the user and password", "wasme login registry.example.com");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var context = Context;
        var host = DockerConfigCredentialProvider.Normalize(parseResult.GetValue(_registry)!);
        var user = parseResult.GetValue(_username);
        var secret = parseResult.GetValue(_password);
        if (secret is not null)
        {
            context.Error.WriteLine("warning: --password is visible to other users of this machine; use --password-stdin.", Style.Plain);
        }
        else if (parseResult.GetValue(_passwordStdin))
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
        var options = new RegistryClientOptions { PlainHttp = parseResult.GetValue(_plainHttp), Insecure = parseResult.GetValue(_insecure) };
        using (var client = new RegistryClient(options, new StaticCredentialProvider(credential), new StderrLogger<RegistryClient>(context, GlobalOptions.GetVerbosity(parseResult)), context.TimeProvider))
        {
            await client.CheckAccessAsync(host, cancellationToken);
        }

        var savedTo = await RegistryLogins.FromEnvironment(context.GetEnvironmentVariable, timeProvider: context.TimeProvider).SaveAsync(host, credential, cancellationToken);
        context.Out.WriteLine($"Login succeeded for {user} at {host} (saved to {savedTo}).", Style.Plain);
        return ExitCodes.Success;
    }
}
