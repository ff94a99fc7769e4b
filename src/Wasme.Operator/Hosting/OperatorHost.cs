using System.Net;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Wasme.Istio.Translation;
using Wasme.Operator.Diagnostics;
using Wasme.Operator.FilterDeployments;
using Wasme.Operator.HostPath;
using Wasme.Operator.Images;
using Wasme.Kubernetes.Clients;

namespace Wasme.Operator.Hosting;

/// <summary>
/// What <c>wasme operator</c> runs: <c>/healthz</c>, <c>/readyz</c> and Prometheus <c>/metrics</c>, and the
/// FilterDeployment controller, behind a Lease when leader election is on. A replica that loses the Lease
/// stops reconciling and <see cref="RunAsync"/> returns <c>false</c>, so the process exits and restarts with
/// fresh caches (controller-runtime does the same) instead of acting on a view another leader has moved past.
/// </summary>
public sealed partial class OperatorHost : IAsyncDisposable
{
    private readonly OperatorOptions _options;
    private readonly IKubernetes _client;
    private readonly IImageResolver _images;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly WebApplication _web;
    private volatile FilterDeploymentOperator? _operator;
    private volatile bool _leading;

    public OperatorHost(OperatorOptions options, IKubernetes client, IImageResolver images, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options;
        _client = client;
        _images = images;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<OperatorHost>();
        Identity = options.Identity ?? $"{Environment.MachineName}_{Guid.NewGuid():N}";
        Metrics = new OperatorMetrics();
        _web = BuildWeb();
    }

    /// <summary>This replica's name in the Lease.</summary>
    public string Identity { get; }

    public OperatorMetrics Metrics { get; }

    /// <summary>True while this replica holds the Lease (always true without leader election, once running).</summary>
    public bool IsLeader => _leading;

    /// <summary>The addresses actually bound (useful with port 0).</summary>
    public IReadOnlyList<Uri> Addresses =>
        [.. (_web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []).Select(a => new Uri(a))];

    /// <summary>Serves the HTTP endpoints, then reconciles (as leader, when elected). Returns false when leadership was lost.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        await _web.StartAsync(cancellationToken).ConfigureAwait(false);
        // The bound addresses, not the flags: with port 0 this line is the only way to learn the port.
        Log.Serving(_logger, _options.MetricsAddress.Length > 0 ? "/healthz, /readyz and /metrics" : "/healthz and /readyz", string.Join(", ", Addresses));
        try
        {
            if (!_options.LeaderElect)
            {
                await LeadAsync(null, cancellationToken).ConfigureAwait(false);
                return true;
            }

            return await ElectAndLeadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _web.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync().ConfigureAwait(false);
        Metrics.Dispose();
    }

    private async Task<bool> ElectAndLeadAsync(CancellationToken cancellationToken)
    {
        var leaseNamespace = _options.LeaseNamespace ?? Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "wasme";
        using var lease = new LeaseFence(new LeaseLock(_client, leaseNamespace, _options.LeaseName, Identity), _options.RenewDeadline, _timeProvider);
        using var elector = new LeaderElector(new LeaderElectionConfig(lease)
        {
            LeaseDuration = _options.LeaseDuration,
            RenewDeadline = _options.RenewDeadline,
            RetryPeriod = _options.RetryPeriod,
        });
        using var stopLeading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? leading = null;
        elector.OnStartedLeading += () =>
        {
            Log.StartedLeading(_logger, Identity, leaseNamespace, _options.LeaseName);
            leading = Task.Run(() => LeadAsync(lease, stopLeading.Token), CancellationToken.None);
        };
        elector.OnStoppedLeading += () =>
        {
            _leading = false;
            lease.Close();
            stopLeading.Cancel();
        };
        elector.OnNewLeader += leader => Log.NewLeader(_logger, leader ?? "(none)");
        // The elector swallows what failed (it only reports the outcome); without this the log said "lost the Lease", not why.
        lease.Unreachable += ex => OnElectionError(ex, leaseNamespace);
        elector.OnError += ex =>
        {
            // The elector's abandoned renewal loop ends on the closed lock's refusal; that is no failure to report.
            if (!lease.IsClosed)
            {
                OnElectionError(ex, leaseNamespace);
            }
        };
        Log.Waiting(_logger, Identity, leaseNamespace, _options.LeaseName);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await elector.RunUntilLeadershipLostAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (leading is null)
            {
                // The elector gives up on the first failed Lease read; an unreachable API server must not crash-loop a standby.
                if (ex is HttpRequestException or k8s.Autorest.HttpOperationException)
                {
                    Log.ElectionFailedBriefly(_logger, _options.RetryPeriod, ex.Message);
                }
                else
                {
                    Log.ElectionFailed(_logger, _options.RetryPeriod, ex);
                }

                try
                {
                    await Task.Delay(_options.RetryPeriod, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            catch (Exception ex)
            {
                // Renewal failed while leading: that is losing the Lease.
                Log.RenewFailed(_logger, ex);
                break;
            }
        }

        await stopLeading.CancelAsync().ConfigureAwait(false);
        if (leading is not null)
        {
            await leading.ConfigureAwait(false);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // The controller has stopped writing: hand the Lease over now rather than make the next leader wait it out.
            await ReleaseAsync(lease, leaseNamespace).ConfigureAwait(false);
            return true;
        }

        Log.LostLeadership(_logger, Identity);
        return false;
    }

    private void OnElectionError(Exception? exception, string leaseNamespace)
    {
        var reason = (exception is AggregateException { InnerException: { } inner } ? inner : exception)?.Message ?? "unknown error";
        if (_leading)
        {
            Log.RenewFailedBriefly(_logger, leaseNamespace, _options.LeaseName, reason, _options.RenewDeadline);
        }
        else
        {
            Log.ElectionFailedBriefly(_logger, _options.RetryPeriod, reason);
        }
    }

    private async Task ReleaseAsync(LeaseFence lease, string leaseNamespace)
    {
        using var timeout = new CancellationTokenSource(_options.RenewDeadline, _timeProvider);
        try
        {
            if (await lease.ReleaseAsync(timeout.Token).ConfigureAwait(false))
            {
                Log.Released(_logger, Identity, leaseNamespace, _options.LeaseName);
            }
            else
            {
                Log.NotReleased(_logger, Identity, leaseNamespace, _options.LeaseName);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or k8s.Autorest.HttpOperationException or OperationCanceledException or InvalidOperationException)
        {
            // Not released: the others take over once it expires, as before.
            Log.ReleaseFailed(_logger, leaseNamespace, _options.LeaseName, ex.Message);
        }
    }

    private async Task LeadAsync(IWriteFence? fence, CancellationToken cancellationToken)
    {
        using var controller = new FilterDeploymentOperator(
            _client,
            _images,
            new FilterDeploymentOperatorOptions
            {
                Namespace = _options.Namespace,
                ResyncPeriod = _options.ResyncPeriod,
                Workers = _options.Workers,
                Reconciler = new FilterDeploymentReconcilerOptions
                {
                    ImageRefreshInterval = _options.ImageRefreshInterval,
                    SigstoreTrustedRoot = _options.SigstoreTrustedRoot is { } trustedRoot
                        ? await Signing.Verification.TrustedRootFile.ReadAsync(trustedRoot, "--sigstore-trusted-root", cancellationToken)
                        : null,
                    Translation = new TranslationOptions
                    {
                        IstioVersion = _options.IstioVersion ?? Istio.Versions.IstioVersion.Latest,
                        CacheServiceHost = _options.CacheServiceUrl.Host,
                        CacheServicePort = _options.CacheServiceUrl.Port,
                    },
                },
                DetectIstioVersion = _options.IstioVersion is null,
                ModuleDistribution = new ModuleDistributionOptions
                {
                    CacheNamespace = _options.CacheNamespace ?? Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "wasme",
                },
            },
            Metrics,
            _loggerFactory,
            _timeProvider,
            fence: fence);
        _operator = controller;
        _leading = true;
        try
        {
            await controller.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _leading = false;
            _operator = null;
        }
    }

    private WebApplication BuildWeb()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var listen = new List<(string Host, int Port)>();
        if (OperatorOptionsValidator.TryParseAddress(_options.HealthAddress, out var health))
        {
            listen.Add(health);
        }

        if (_options.MetricsAddress.Length > 0 && OperatorOptionsValidator.TryParseAddress(_options.MetricsAddress, out var metrics) && metrics != health)
        {
            listen.Add(metrics);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var (host, port) in listen)
            {
                kestrel.Listen(IPAddress.TryParse(host, out var ip) ? ip : IPAddress.Any, port);
            }
        });
        if (_options.MetricsAddress.Length > 0)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(OperatorMetrics.MeterName).AddPrometheusExporter());
        }

        var web = builder.Build();
        web.MapGet("/healthz", new RequestDelegate(http => http.Response.WriteAsync("ok", http.RequestAborted)));
        web.MapGet("/readyz", new RequestDelegate(Readiness));
        if (_options.MetricsAddress.Length > 0)
        {
            // Served on the health port too: both are cluster-internal, and one scrape config fits either.
            web.MapPrometheusScrapingEndpoint();
        }

        return web;
    }

    // A standby replica is ready (it is healthy and waiting for the Lease); the leader once its caches are full.
    private Task Readiness(HttpContext http)
    {
        if (!_leading && _options.LeaderElect)
        {
            return http.Response.WriteAsync("standby", http.RequestAborted);
        }

        if (_operator?.HasSynced == true)
        {
            return http.Response.WriteAsync("ok", http.RequestAborted);
        }

        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return http.Response.WriteAsync("informers have not listed yet", http.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(12, LogLevel.Information, "Serving {Paths} on {Addresses}")]
        public static partial void Serving(ILogger logger, string paths, string addresses);

        [LoggerMessage(1, LogLevel.Information, "{Identity} waits for Lease {Namespace}/{Lease}")]
        public static partial void Waiting(ILogger logger, string identity, string @namespace, string lease);

        [LoggerMessage(2, LogLevel.Information, "{Identity} holds Lease {Namespace}/{Lease}; reconciling")]
        public static partial void StartedLeading(ILogger logger, string identity, string @namespace, string lease);

        [LoggerMessage(3, LogLevel.Information, "Leader is now {Leader}")]
        public static partial void NewLeader(ILogger logger, string leader);

        [LoggerMessage(4, LogLevel.Warning, "{Identity} lost the Lease; stopping so a restart begins from fresh caches")]
        public static partial void LostLeadership(ILogger logger, string identity);

        [LoggerMessage(5, LogLevel.Warning, "Could not read or take the Lease; trying again in {Delay}")]
        public static partial void ElectionFailed(ILogger logger, TimeSpan delay, Exception exception);

        [LoggerMessage(7, LogLevel.Warning, "Could not read or take the Lease: {Reason}; trying again in {Delay}")]
        public static partial void ElectionFailedBriefly(ILogger logger, TimeSpan delay, string reason);

        [LoggerMessage(8, LogLevel.Information, "{Identity} released Lease {Namespace}/{Lease}")]
        public static partial void Released(ILogger logger, string identity, string @namespace, string lease);

        [LoggerMessage(9, LogLevel.Warning, "Could not release Lease {Namespace}/{Lease}: {Reason}; another replica takes it once it expires")]
        public static partial void ReleaseFailed(ILogger logger, string @namespace, string lease, string reason);

        [LoggerMessage(10, LogLevel.Information, "{Identity} did not release Lease {Namespace}/{Lease}: it no longer held it")]
        public static partial void NotReleased(ILogger logger, string identity, string @namespace, string lease);

        [LoggerMessage(6, LogLevel.Warning, "Could not renew the Lease")]
        public static partial void RenewFailed(ILogger logger, Exception exception);

        [LoggerMessage(11, LogLevel.Warning, "Could not renew the Lease {Namespace}/{Lease}: {Reason}; writes stop once the {RenewDeadline} renew deadline has passed without a renewal")]
        public static partial void RenewFailedBriefly(ILogger logger, string @namespace, string lease, string reason, TimeSpan renewDeadline);
    }
}
