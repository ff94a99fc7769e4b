using System.CommandLine;
using Wasme.Cli.Infrastructure;
using Wasme.Oci;
using Wasme.Oci.Errors;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Store;

namespace Wasme.Cli.Commands.Images;

/// <summary>Options every image command that touches the store or a registry shares.</summary>
internal sealed class RegistryOptions
{
    public Option<string?> Store { get; } = new("--store")
    {
        Description = "Local image store directory (default: $WASME_STORE or ~/.wasme/store).",
    };

    public Option<bool> PlainHttp { get; } = new("--plain-http")
    {
        Description = "Talk to the registry over plain HTTP (localhost and loopback addresses always are).",
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "Do not verify the registry's TLS certificate.",
    };

    public Option<string?> Username { get; } = new("--username", "-u")
    {
        Description = "Registry user; overrides saved credentials (password from --password-stdin).",
    };

    public Option<bool> PasswordStdin { get; } = new("--password-stdin")
    {
        Description = "Read the password from standard input.",
    };

    public Option<long> MaxModuleSize { get; } = new("--max-module-size")
    {
        Description = "Refuse modules (and decompressed compat layers) larger than this many bytes.",
        DefaultValueFactory = _ => RegistryLimits.DefaultMaxModuleSize,
    };

    public Option<string> ReadTimeout { get; } = new("--read-timeout")
    {
        Description = "Fail (exit 5) when a registry connection makes no progress for this long: no answer, or a download or upload that stalls. E.g. 30s, 2m.",
        DefaultValueFactory = _ => "30s",
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "Print only the result (the digest), no progress.",
    };

    public void AddStoreTo(Command command) => command.Options.Add(Store);

    /// <summary>What push and pull share: the store, the registry connection and <c>--quiet</c>.</summary>
    public void AddTransferTo(Command command)
    {
        AddStoreTo(command);
        AddRegistryTo(command);
        command.Options.Add(Quiet);
    }

    public void AddRegistryTo(Command command)
    {
        command.Options.Add(PlainHttp);
        command.Options.Add(Insecure);
        command.Options.Add(Username);
        command.Options.Add(PasswordStdin);
        command.Options.Add(MaxModuleSize);
        command.Options.Add(ReadTimeout);
    }

    public LocalImageStore OpenStore(CliContext context, ParseResult parseResult)
    {
        // tag and rmi do not carry --max-module-size; GetValue then answers 0, which would refuse every compat image.
        var maxModuleSize = parseResult.GetValue(MaxModuleSize);
        return new(
            LocalImageStore.ResolveRoot(parseResult.GetValue(Store), context.GetEnvironmentVariable),
            context.TimeProvider,
            maxModuleSize > 0 ? maxModuleSize : RegistryLimits.DefaultMaxModuleSize);
    }

    public RegistryClient CreateClient(CliContext context, ParseResult parseResult)
    {
        ICredentialProvider credentials = DockerConfigCredentialProvider.FromEnvironment(context.GetEnvironmentVariable);
        if (parseResult.GetValue(Username) is { Length: > 0 } user)
        {
            var password = parseResult.GetValue(PasswordStdin) ? Console.In.ReadToEnd().TrimEnd('\r', '\n') : string.Empty;
            credentials = new StaticCredentialProvider(new RegistryCredential(user, password));
        }

        var readTimeout = parseResult.GetValue(ReadTimeout)!;
        if (!Durations.TryParse(readTimeout, out var idle) || idle <= TimeSpan.Zero)
        {
            throw new OciUsageException($"--read-timeout '{readTimeout}' is not a positive duration; use a number with s, m, h or d, e.g. 30s.");
        }

        var options = new RegistryClientOptions
        {
            PlainHttp = parseResult.GetValue(PlainHttp),
            Insecure = parseResult.GetValue(Insecure),
            MaxModuleSize = parseResult.GetValue(MaxModuleSize),
            ReadTimeout = idle,
        };
        return new RegistryClient(options, credentials, new StderrLogger<RegistryClient>(context, GlobalOptions.GetVerbosity(parseResult)), context.TimeProvider);
    }
}
