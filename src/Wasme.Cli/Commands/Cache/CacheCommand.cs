using System.CommandLine;
using System.Net.Sockets;
using k8s;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Wasme.Cache;
using Wasme.Cache.Fetching;
using Wasme.Cache.Hosting;
using Wasme.Cache.Kubernetes;
using Wasme.Cache.Storage;
using Wasme.Cli.Commands.Clusters;
using Wasme.Cli.Commands.Signing;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Api;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Configuration;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Signing.Bundles;
using Wasme.Signing.Verification;

namespace Wasme.Cli.Commands.Cache;

/// <summary>
/// <c>wasme cache</c>: the node cache daemon. In a cluster it holds the modules FilterDeployments
/// reference and serves them on <c>/sha256/&lt;hex&gt;</c>; outside one, the modules given with <c>--module</c>.
/// </summary>
internal sealed class CacheCommand : WasmeCommand
{
    private readonly Option<string> _directory = new("--directory") { Description = "Module directory (a hostPath shared with sidecars for HostPath delivery).", DefaultValueFactory = _ => CacheOptions.DefaultDirectory };
    private readonly Option<string> _listen = new("--listen") { Description = "HTTP address to serve modules, health and metrics on.", DefaultValueFactory = _ => $"http://0.0.0.0:{CacheOptions.DefaultPort}" };
    private readonly Option<string?> _kubeconfig = new("--kubeconfig") { Description = "Kubeconfig file; in a pod the service account is used." };
    private readonly Option<string?> _namespace = new("--namespace") { Description = "Namespace the cache runs in, for its node record, a CacheNodeRecord (default: $POD_NAMESPACE, else wasme)." };
    private readonly Option<string?> _watchNamespace = new("--watch-namespace") { Description = "Only watch FilterDeployments in this namespace (default: all)." };
    private readonly Option<long> _quota = new("--quota-bytes") { Description = "Disk budget; past it unreferenced modules are evicted, least recently used first.", DefaultValueFactory = _ => new CacheOptions().QuotaBytes };
    private readonly Option<string> _grace = new("--grace-period") { Description = "How long unreferenced modules are kept, e.g. 10m, 1h, 30s.", DefaultValueFactory = _ => "10m" };
    // Also --max-module-size: the registry client's refusal of an oversized module says "Raise --max-module-size", as pull does.
    private readonly Option<long> _maxModule = new("--max-module-bytes", "--max-module-size") { Description = "Largest module accepted from a registry, in bytes.", DefaultValueFactory = _ => new CacheOptions().MaxModuleBytes };
    private readonly Option<string?> _nodeName = new("--node-name") { Description = "This node's name (default: $NODE_NAME, set from the downward API)." };
    private readonly Option<string[]> _modules = new("--module") { Description = "Hold this module without Kubernetes: SHA256=IMAGE@DIGEST (repeatable).", AllowMultipleArgumentsPerToken = false };

    private readonly Option<string?> _trustedRoot = new("--sigstore-trusted-root") { Description = "Sigstore trusted_root.json for keyless spec.filter.verification.identities (as the operator's)." };

    public CacheCommand(CliContext context)
        : base(context, "cache", "Run the node cache daemon: pull wanted modules by digest, verify them, and serve them over HTTP.")
    {
        Options.Add(_directory);
        Options.Add(_listen);
        Options.Add(_kubeconfig);
        Options.Add(_namespace);
        Options.Add(_watchNamespace);
        Options.Add(_quota);
        Options.Add(_grace);
        Options.Add(_maxModule);
        Options.Add(_nodeName);
        Options.Add(_modules);
        Options.Add(_trustedRoot);
        Example("Serve one module on this machine, without Kubernetes", "wasme cache --directory /tmp/wasme-cache --listen http://127.0.0.1:9979 --module 44bf...7267=ghcr.io/acme/add-header@sha256:...");
        Example("Run as the DaemonSet does (node name from the downward API)", "wasme cache --node-name \"$NODE_NAME\" --namespace wasme");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var context = Context;
        var problems = new List<string>();
        if (!Uri.TryCreate(parseResult.GetValue(_listen), UriKind.Absolute, out var listen))
        {
            problems.Add($"--listen '{parseResult.GetValue(_listen)}' is not an address like http://0.0.0.0:9979.");
        }

        if (!Durations.TryParse(parseResult.GetValue(_grace)!, out var grace))
        {
            problems.Add($"--grace-period '{parseResult.GetValue(_grace)}' is not a duration: use e.g. 30s, 10m, 2h or 00:10:00.");
        }

        var wanted = new List<WantedModule>();
        foreach (var module in parseResult.GetValue(_modules) ?? [])
        {
            var separator = module.IndexOf('=', StringComparison.Ordinal);
            if (separator < 0 || !ModuleDigest.TryParse(module[..separator], out var digest))
            {
                problems.Add($"--module '{module}' is not SHA256=IMAGE@DIGEST, e.g. 44bf…7267=registry:5000/filters/add-header@sha256:….");
                continue;
            }

            // The cache pulls by digest only: a tag or a malformed reference would fail every retry of a daemon that says it is ready.
            var image = module[(separator + 1)..];
            if (!ImageReference.TryParse(image, out var reference) || reference.Digest is null)
            {
                problems.Add($"--module '{module}': '{image}' is not an image pinned by digest; give IMAGE@sha256:<digest>, e.g. registry:5000/filters/add-header@sha256:… (`wasme inspect IMAGE` prints it).");
                continue;
            }

            wanted.Add(new WantedModule(digest, image));
        }

        var kubeconfig = parseResult.GetValue(_kubeconfig);
        var inCluster = KubernetesClientConfiguration.IsInCluster();
        // Any --module given, valid or not, means "without Kubernetes": a bad one is reported alone, not with --node-name.
        var useKubernetes = kubeconfig is not null || inCluster || (parseResult.GetValue(_modules) ?? []).Length == 0;
        var options = new CacheOptions
        {
            Directory = parseResult.GetValue(_directory)!,
            Listen = listen ?? new Uri($"http://0.0.0.0:{CacheOptions.DefaultPort}"), // reported above; not a second time by Validate
            QuotaBytes = parseResult.GetValue(_quota),
            GracePeriod = grace,
            MaxModuleBytes = parseResult.GetValue(_maxModule),
            NodeName = parseResult.GetValue(_nodeName) ?? context.GetEnvironmentVariable("NODE_NAME"),
            Namespace = parseResult.GetValue(_namespace) ?? context.GetEnvironmentVariable("POD_NAMESPACE") ?? "wasme",
            WatchNamespace = parseResult.GetValue(_watchNamespace),
        };
        TrustedRoot? trustedRoot = null;
        if (parseResult.GetValue(_trustedRoot) is { } trustedRootPath)
        {
            try
            {
                var text = await SigningFiles.ReadTextAsync(trustedRootPath, "--sigstore-trusted-root", SigningFiles.MaxDocumentSize, "Sigstore's trusted_root.json, mounted into the pod (docs/signing.md)", cancellationToken);
                trustedRoot = VerificationPolicy.ParseTrustedRoot(text, $"--sigstore-trusted-root {trustedRootPath}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OciUsageException or CommandException)
            {
                problems.Add(ex is OciUsageException or CommandException ? ex.Message : $"--sigstore-trusted-root {trustedRootPath}: {ex.Message}; mount Sigstore's trusted_root.json (docs/signing.md)");
            }
        }

        options = options with { SigstoreTrustedRoot = trustedRoot };
        problems.AddRange(options.Validate());
        if (useKubernetes && options.NodeName is null)
        {
            problems.Add("--node-name is required with Kubernetes (the DaemonSet sets NODE_NAME from spec.nodeName); or pass --module to run without Kubernetes.");
        }

        if (problems.Count > 0)
        {
            throw CommandException.Usage(problems);
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging.AddJsonConsole(json => json.IncludeScopes = true).SetMinimumLevel(DaemonLogs.MinimumLevel(parseResult)));
        k8s.IKubernetes? client = null;
        try
        {
            IWantedModulesFeed feed;
            ICacheObserver observer;
            IPullCredentialSource credentials;
            if (useKubernetes)
            {
                client = KubernetesClientFactory.Create(await ClusterConfig.LoadAsync(context.GetEnvironmentVariable, kubeconfig, preferInCluster: true, cancellationToken), "wasme-cache", context.TimeProvider);
                var filterDeployments = new FilterDeploymentFeed(
                    new KubernetesResourceClient<FilterDeployment>(client, ResourceType.FilterDeployment), options.WatchNamespace, context.TimeProvider, loggerFactory, options.SigstoreTrustedRoot);
                feed = filterDeployments;
                observer = new KubernetesCacheObserver(
                    client,
                    new KubernetesEventRecorder(client, "wasme-cache", context.TimeProvider, loggerFactory.CreateLogger<KubernetesEventRecorder>()),
                    filterDeployments,
                    options.Namespace,
                    options.NodeName!,
                    loggerFactory.CreateLogger<KubernetesCacheObserver>());
                credentials = new KubernetesPullCredentialSource(client, options.Namespace);
            }
            else
            {
                feed = new StaticWantedModules(wanted);
                observer = NullCacheObserver.Instance;
                credentials = AnonymousPullCredentialSource.Instance;
            }

            var source = new RegistryModuleSource(credentials, options.MaxModuleBytes, loggerFactory, context.TimeProvider);
            await using var daemon = await CacheDaemon.StartAsync(options, source, feed, observer, loggerFactory, context.TimeProvider, cancellationToken);
            // A string, so it is escaped as markup: an IPv6 address's brackets, "[::1]", read as a style and threw.
            context.Error.MarkupLineInterpolated($"wasme cache serving {options.Directory} on {daemon.Address.ToString()}");
            try
            {
                await daemon.Completion.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // SIGTERM or Ctrl+C: a normal stop.
            }

            return ExitCodes.Success;
        }
        catch (IOException ex) when (ListenFailures.IsAddressInUse(ex))
        {
            throw ListenFailures.Failure("wasme cache", ex, [(options.Listen.Authority, "--listen")]);
        }
        catch (Exception ex) when (ex is SocketException { SocketErrorCode: SocketError.AddressNotAvailable } || ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressNotAvailable })
        {
            throw new CommandException(ExitCodes.Failure, $"wasme cache: cannot listen on {options.Listen.Authority} (--listen): no interface of this machine has that address; give one of its addresses, or 0.0.0.0");
        }
        catch (ModuleDirectoryAccessException ex)
        {
            throw new CommandException(ExitCodes.Failure, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandException(ExitCodes.Failure, $"{ex.Message} (check that --directory is writable and --listen is free).");
        }
        catch (ClusterConfigException ex)
        {
            throw CommandException.Usage($"wasme cache: {ex.Message}, or run without Kubernetes with --module");
        }
        finally
        {
            client?.Dispose();
        }
    }
}
