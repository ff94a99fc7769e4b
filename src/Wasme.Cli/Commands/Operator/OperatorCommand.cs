using System.CommandLine;
using k8s;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Wasme.Cli.Commands.Clusters;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Versions;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Configuration;
using Wasme.Operator.Hosting;
using Wasme.Operator.Images;

namespace Wasme.Cli.Commands.Operator;

/// <summary><c>wasme operator</c>: runs the FilterDeployment controller against the current cluster until stopped.</summary>
internal sealed class OperatorCommand : WasmeCommand
{
    private readonly Option<string?> _kubeconfig = new("--kubeconfig") { Description = "Kubeconfig file; in a pod the service account is used, else $KUBECONFIG or ~/.kube/config." };
    private readonly Option<string?> _namespace = new("--namespace") { Description = "Only reconcile FilterDeployments in this namespace (default: all)." };
    private readonly Option<string> _health = new("--health-address") { Description = "host:port serving /healthz and /readyz.", DefaultValueFactory = _ => new OperatorOptions().HealthAddress };
    private readonly Option<string> _resync = new("--resync-period") { Description = "How often every FilterDeployment is reconciled even when nothing changed, e.g. 10m.", DefaultValueFactory = _ => "10m" };
    private readonly Option<string> _imageRefresh = new("--image-refresh") { Description = "How often image tags are resolved again, e.g. 5m.", DefaultValueFactory = _ => "5m" };
    private readonly Option<int> _workers = new("--workers") { Description = "Concurrent reconciles (never two for one FilterDeployment).", DefaultValueFactory = _ => new OperatorOptions().Workers };
    private readonly Option<string> _cacheService = new("--cache-service-url") { Description = "Base URL of the node cache Service that serves modules (Remote delivery).", DefaultValueFactory = _ => new OperatorOptions().CacheServiceUrl.ToString() };
    private readonly Option<string?> _cacheNamespace = new("--cache-namespace") { Description = "Namespace of the wasme-cache DaemonSet, whose per-node CacheNodeRecords gate HostPath delivery (default $POD_NAMESPACE, else wasme)." };
    private readonly Option<string?> _istioVersion = new("--istio-version") { Description = $"Istio version the generated resources target (default: ask istiod per namespace, else {IstioVersion.Latest})." };
    private readonly Option<string> _metrics = new("--metrics-address") { Description = "host:port serving Prometheus /metrics; empty turns it off.", DefaultValueFactory = _ => new OperatorOptions().MetricsAddress };
    private readonly Option<bool> _leaderElect = new("--leader-elect") { Description = "Reconcile only while holding a coordination.k8s.io/v1 Lease, so several replicas can run." };
    private readonly Option<string?> _leaseNamespace = new("--leader-election-namespace") { Description = "Namespace of the Lease (default $POD_NAMESPACE, else wasme)." };
    private readonly Option<string> _leaseName = new("--leader-election-lease") { Description = "Name of the Lease.", DefaultValueFactory = _ => new OperatorOptions().LeaseName };

    // The registry client's refusal of an oversized module says "Raise --max-module-size", as pull's does.
    private readonly Option<long> _maxModule = new("--max-module-size", "--max-module-bytes") { Description = "Largest module read from a registry when resolving an image, in bytes (a larger one is refused as an invalid image).", DefaultValueFactory = _ => Oci.RegistryLimits.DefaultMaxModuleSize };
    private readonly Option<string?> _trustedRoot = new("--sigstore-trusted-root") { Description = "Sigstore trusted_root.json (Fulcio and Rekor keys) for keyless spec.filter.verification.identities; keys need none." };

    public OperatorCommand(CliContext context)
        : base(context, "operator", "Run the FilterDeployment operator: resolves images, writes EnvoyFilters/WasmPlugins, keeps status current.")
    {
        foreach (var option in new Option[] { _kubeconfig, _namespace, _health, _metrics, _resync, _imageRefresh, _workers, _cacheService, _cacheNamespace, _istioVersion, _leaderElect, _leaseNamespace, _leaseName, _maxModule, _trustedRoot })
        {
            Options.Add(option);
        }

        Example("Run the operator against the current kubeconfig's cluster, for one namespace", "wasme operator --namespace bookinfo");
        Example("Run it as the install does: several replicas, one active at a time", "wasme operator --leader-elect --leader-election-namespace wasme");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var resync = Durations.ParsePositive(parseResult.GetValue(_resync)!, "--resync-period", problems, TimeSpan.FromMinutes(10));
        var refresh = Durations.ParsePositive(parseResult.GetValue(_imageRefresh)!, "--image-refresh", problems, TimeSpan.FromMinutes(10));
        if (!Uri.TryCreate(parseResult.GetValue(_cacheService), UriKind.Absolute, out var cacheUrl))
        {
            problems.Add($"--cache-service-url '{parseResult.GetValue(_cacheService)}' is not a URL; give the cache Service, e.g. http://wasme-cache.wasme.svc.cluster.local:9979");
        }

        IstioVersion? istioVersion = null;
        if (parseResult.GetValue(_istioVersion) is { } versionText)
        {
            if (IstioVersion.TryParse(versionText, out var parsed))
            {
                istioVersion = parsed;
            }
            else
            {
                problems.Add($"--istio-version '{versionText}' is not a version; use MAJOR.MINOR, e.g. 1.22");
            }
        }

        var maxModuleSize = parseResult.GetValue(_maxModule);
        if (maxModuleSize <= 0)
        {
            problems.Add($"--max-module-size {maxModuleSize}: must be a positive number of bytes, e.g. {Oci.RegistryLimits.DefaultMaxModuleSize}");
        }

        var options = new OperatorOptions
        {
            Kubeconfig = parseResult.GetValue(_kubeconfig),
            Namespace = parseResult.GetValue(_namespace),
            HealthAddress = parseResult.GetValue(_health)!,
            MetricsAddress = parseResult.GetValue(_metrics) ?? "",
            LeaderElect = parseResult.GetValue(_leaderElect),
            LeaseNamespace = parseResult.GetValue(_leaseNamespace),
            LeaseName = parseResult.GetValue(_leaseName)!,
            Identity = Environment.GetEnvironmentVariable("POD_NAME"),
            ResyncPeriod = resync,
            ImageRefreshInterval = refresh,
            Workers = parseResult.GetValue(_workers),
            CacheServiceUrl = cacheUrl ?? new OperatorOptions().CacheServiceUrl,
            IstioVersion = istioVersion,
            CacheNamespace = parseResult.GetValue(_cacheNamespace),
            SigstoreTrustedRoot = parseResult.GetValue(_trustedRoot),
        };
        var validation = new OperatorOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            problems.AddRange(validation.Failures);
        }

        if (problems.Count > 0)
        {
            throw CommandException.Usage(problems);
        }

        KubernetesClientConfiguration config;
        try
        {
            config = await ClusterConfig.LoadAsync(Context.GetEnvironmentVariable, options.Kubeconfig, preferInCluster: true, cancellationToken);
        }
        catch (ClusterConfigException ex)
        {
            throw CommandException.Usage($"wasme operator: {ex.Message}");
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging.AddJsonConsole(json => json.IncludeScopes = true).SetMinimumLevel(DaemonLogs.MinimumLevel(parseResult)));
        using var client = KubernetesClientFactory.Create(config, "wasme-operator", Context.TimeProvider);
        await using var host = new OperatorHost(options, client, new OciImageResolver(loggerFactory, Context.TimeProvider, maxModuleSize), loggerFactory, Context.TimeProvider);
        Context.Error.MarkupLineInterpolated($"wasme operator: reconciling FilterDeployments ({options.Namespace ?? "all namespaces"}){(options.LeaderElect ? " while holding the Lease" : "")}; health on {options.HealthAddress}, {(options.MetricsAddress.Length > 0 ? "metrics on " + options.MetricsAddress : "metrics off")}");
        try
        {
            if (!await host.RunAsync(cancellationToken))
            {
                throw new CommandException(ExitCodes.Failure, "lost the leader election Lease; exiting so the restarted operator begins from fresh caches");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException ex) when (ListenFailures.IsAddressInUse(ex))
        {
            throw ListenFailures.Failure("wasme operator", ex, [(options.HealthAddress, "--health-address"), (options.MetricsAddress, "--metrics-address")]);
        }

        return ExitCodes.Success;
    }
}
