using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Operator.Hosting;
using Wasme.Operator.Images;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.Hosting;

/// <summary><c>wasme operator</c>'s host against the API test server: leader election on a Lease, and the endpoints.</summary>
public sealed class OperatorHostTests : IClassFixture<RegistryFixture>
{
    private readonly RegistryFixture _registry;

    public OperatorHostTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Of_two_replicas_exactly_one_reconciles_and_the_other_takes_over_when_it_stops()
    {
        var image = await _registry.PushAsync("leader/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        await using var first = new Replica(harness, "replica-a");
        await using var second = new Replica(harness, "replica-b");

        await harness.EventuallyAsync(() => first.Host.IsLeader || second.Host.IsLeader, "one replica leads");
        var (leader, standby) = first.Host.IsLeader ? (first, second) : (second, first);
        harness.Apply(Manifests.FilterDeployment("before", image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("before"), "the leader reconciles");

        // The reconcile is counted just after its status write lands, hence "eventually".
        await harness.EventuallyAsync(() => leader.Reconciles.Count > 0, "the leader counted its reconciles");
        Assert.False(standby.Host.IsLeader);
        Assert.Equal(0, standby.Reconciles.Count);
        Assert.Equal(leader.Host.Identity, (string?)harness.Get("coordination.k8s.io/v1", "Lease", "wasme-operator", "wasme")!["spec"]!["holderIdentity"]);

        await leader.StopAsync();
        harness.Apply(Manifests.FilterDeployment("after", image.Reference, app: "reviews"));

        await harness.EventuallyAsync(() => harness.IsReady("after"), "the standby took over and reconciles");
        Assert.True(standby.Host.IsLeader);
        Assert.Equal(standby.Host.Identity, (string?)harness.Get("coordination.k8s.io/v1", "Lease", "wasme-operator", "wasme")!["spec"]!["holderIdentity"]);
    }

    [Fact]
    public async Task A_leader_stopped_cleanly_releases_the_Lease_so_the_standby_takes_over_without_waiting_it_out()
    {
        // A rolling update stops the leader with SIGTERM; before, the Lease stayed held for its whole duration (15 s by
        // default, here 5 min) and nothing was reconciled meanwhile.
        var image = await _registry.PushAsync("leader/release:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        harness.Apply(Manifests.Workload("details-v1", "details"));
        var longLease = TimeSpan.FromMinutes(5);
        await using var first = new Replica(harness, "replica-a", leaseDuration: longLease);
        await harness.EventuallyAsync(() => first.Host.IsLeader, "the first replica leads");
        await using var second = new Replica(harness, "replica-b", leaseDuration: longLease);

        await first.StopAsync();
        harness.Apply(Manifests.FilterDeployment("after", image.Reference));

        await harness.EventuallyAsync(() => second.Host.IsLeader && harness.IsReady("after"), "the standby took the released Lease and reconciles");
        var lease = harness.Get("coordination.k8s.io/v1", "Lease", "wasme-operator", "wasme")!["spec"]!;
        Assert.Equal("replica-b", (string?)lease["holderIdentity"]);
        Assert.Equal(1, (int?)lease["leaseTransitions"]);
    }

    [Fact]
    public async Task A_replica_whose_Lease_reads_fail_keeps_trying_and_then_leads()
    {
        var image = await _registry.PushAsync("leader/retry:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Server.Faults.FailPath("/apis/coordination.k8s.io/v1/namespaces/wasme/leases", 500, times: 3);
        await using var replica = new Replica(harness, "persistent");

        harness.Apply(Manifests.FilterDeployment("f", image.Reference));

        await harness.EventuallyAsync(() => harness.IsReady("f"), "the replica took the Lease after the failures and reconciles");
        Assert.True(replica.Host.IsLeader);
    }

    [Fact]
    public async Task A_leader_that_cannot_renew_its_Lease_stops_and_its_log_says_why()
    {
        // Before, the log said only "lost the Lease": the elector's reason (here the API server answering 503) was dropped.
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        await using var replica = new Replica(harness, "unlucky");
        await harness.EventuallyAsync(() => replica.Host.IsLeader, "the replica leads");

        harness.Server.Faults.FailPath("/apis/coordination.k8s.io/v1/namespaces/wasme/leases", 503);

        Assert.False(await replica.Run.WaitAsync(TimeSpan.FromSeconds(30)), "a replica that lost the Lease reports it");
        Assert.False(replica.Host.IsLeader);
        var lines = harness.Logs.Lines;
        Assert.Contains(lines, l => l.Contains("unlucky lost the Lease", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("renew the Lease", StringComparison.Ordinal) && l.Contains("ServiceUnavailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_leader_across_an_API_server_restart_shorter_than_its_renew_deadline_keeps_the_Lease_and_writes_nothing()
    {
        // A control-plane upgrade restarts kube-apiserver: for a while every connection is refused. A leader whose renew
        // deadline has not passed meanwhile keeps leading, and with nothing changed has nothing to write (only its Lease).
        var image = await _registry.PushAsync("leader/restart:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        harness.Apply(Manifests.Workload("details-v1", "details"));
        await using var replica = new Replica(harness, "steady", leaseDuration: TimeSpan.FromMinutes(2), renewDeadline: TimeSpan.FromMinutes(1));
        harness.Apply(Manifests.FilterDeployment("f", image.Reference));
        await harness.EventuallyAsync(() => replica.Host.IsLeader && harness.IsReady("f"), "the replica leads and reconciled");
        await harness.EventuallyAsync(() => replica.Reconciles.Count > 0 && !harness.IsReconciling("f"), "the reconcile is done");
        harness.Server.Requests.Clear();
        var before = harness.Logs.Lines.Count;

        await harness.Server.StopListeningAsync();
        await harness.EventuallyAsync(() => harness.Logs.Lines.Any(l => l.Contains("Could not renew the Lease", StringComparison.Ordinal)), "a renewal was refused");
        await harness.Server.StartListeningAsync();
        await harness.EventuallyAsync(() => harness.Writes().Any(w => w.Path.Contains("/leases/", StringComparison.Ordinal) && w.StatusCode == 200), "the Lease is renewed again");
        await harness.EventuallyAsync(() => harness.Server.Faults.OpenWatches >= 3 && !harness.IsReconciling("f"), "the informers watch again");

        Assert.True(replica.Host.IsLeader);
        Assert.False(replica.Run.IsCompleted);
        Assert.Empty(harness.Writes().Where(w => !w.Path.Contains("/leases/", StringComparison.Ordinal)).Select(w => $"{w.Method} {w.Path}"));

        // Expected weather: one line per failed attempt, no stack traces.
        Assert.All(harness.Logs.Lines.Skip(before), l => Assert.DoesNotContain('\n', l.TrimEnd()));

        // It still follows the cluster: a change made after the restart is reconciled.
        harness.Apply(Manifests.FilterDeployment("g", image.Reference));
        await harness.EventuallyAsync(() => harness.IsReady("g"), "a FilterDeployment created after the restart is reconciled");
    }

    [Fact]
    public async Task A_leader_across_an_API_server_restart_longer_than_its_renew_deadline_steps_down_and_a_replica_takes_over()
    {
        var image = await _registry.PushAsync("leader/longrestart:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        harness.Apply(Manifests.Workload("details-v1", "details"));
        await using var first = new Replica(harness, "first");
        await harness.EventuallyAsync(() => first.Host.IsLeader, "the first replica leads");
        await using var second = new Replica(harness, "second");

        await harness.Server.StopListeningAsync();
        Assert.False(await first.Run.WaitAsync(TimeSpan.FromSeconds(30)), "a leader that could not renew in time reports the loss");
        Assert.False(first.Host.IsLeader);
        await harness.Server.StartListeningAsync();
        harness.Apply(Manifests.FilterDeployment("after", image.Reference));

        await harness.EventuallyAsync(() => second.Host.IsLeader && harness.IsReady("after"), "the other replica took the Lease and reconciles");
        Assert.Contains(harness.Logs.Lines, l => l.Contains("first lost the Lease", StringComparison.Ordinal));
        Assert.Equal("second", (string?)harness.Get("coordination.k8s.io/v1", "Lease", "wasme-operator", "wasme")!["spec"]!["holderIdentity"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_replica_that_lost_its_Lease_never_renews_it_afterwards(bool clientDisposedAtOnce)
    {
        // KubernetesClient's elector gives up after the renew deadline but leaves its renewal loop running: once the API
        // server answered again, the replica that had reported the loss (and was exiting) renewed the Lease, so the
        // standby waited out another lease duration; and once the client was disposed the loop logged
        // NullReferenceExceptions as "Could not read or take the Lease" until the process ended.
        await using var harness = await OperatorHarness.StartAsync();
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        await using var lost = new Replica(harness, "unlucky");
        await harness.EventuallyAsync(() => lost.Host.IsLeader, "the replica leads");
        harness.Server.Faults.FailPath("/apis/coordination.k8s.io/v1/namespaces/wasme/leases", 503);
        Assert.False(await lost.Run.WaitAsync(TimeSpan.FromSeconds(30)), "a replica that lost the Lease reports it");
        var atLoss = (string)harness.Get("coordination.k8s.io/v1", "Lease", "wasme-operator", "wasme")!["metadata"]!["resourceVersion"]!;
        harness.Server.Faults.Reset();
        if (clientDisposedAtOnce)
        {
            await lost.DisposeClientAsync();
        }

        var linesAtLoss = harness.Logs.Lines.Count;

        await using var standby = new Replica(harness, "standby");
        await harness.EventuallyAsync(() => standby.Host.IsLeader, "the standby takes over");

        var holders = await LeaseHoldersSinceAsync(harness, atLoss, "standby");
        Assert.DoesNotContain("unlucky", holders);
        var after = harness.Logs.Lines.Skip(linesAtLoss).ToList();
        Assert.False(after.Any(l => l.Contains("NullReference", StringComparison.Ordinal) || l.Contains("Could not read or take the Lease", StringComparison.Ordinal)), string.Join('\n', after));
    }

    /// <summary>The holder of every version of the Lease written after <paramref name="resourceVersion"/>, up to the first held by <paramref name="last"/>.</summary>
    private static async Task<List<string?>> LeaseHoldersSinceAsync(OperatorHarness harness, string resourceVersion, string last)
    {
        var holders = new List<string?>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var (_, lease) in harness.Client.CoordinationV1.WatchListNamespacedLeaseAsync("wasme", resourceVersion: resourceVersion, cancellationToken: timeout.Token))
        {
            holders.Add(lease.Spec.HolderIdentity);
            if (lease.Spec.HolderIdentity == last)
            {
                break;
            }
        }

        return holders;
    }

    [Fact]
    public async Task Metrics_are_scraped_in_Prometheus_text_with_reconciles_errors_queue_depth_and_durations()
    {
        var image = await _registry.PushAsync("metrics/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        await using var replica = new Replica(harness, "solo", leaderElect: false);
        harness.Apply(Manifests.FilterDeployment("good", image.Reference));
        harness.Apply(Manifests.FilterDeployment("missing", $"{_registry.Host}/metrics/never-pushed:v1"));
        await harness.EventuallyAsync(() => harness.IsReady("good") && harness.Condition("missing", "Ready") is not null, "both FilterDeployments were reconciled");

        using var http = new HttpClient { BaseAddress = replica.Host.Addresses[0] };
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        Assert.Equal("ok", await http.GetStringAsync("/readyz"));
        string text = "";
        await OperatorHarness.EventuallyAsync(
            async () => (text = await http.GetStringAsync("/metrics")).Contains("wasme_operator_reconcile_errors_total", StringComparison.Ordinal),
            "the scrape shows the failed reconciles");

        Assert.Contains("# TYPE wasme_operator_reconciles_total counter", text, StringComparison.Ordinal);
        Assert.Matches("wasme_operator_reconciles_total\\{[^}]*controller=\"filterdeployment\"[^}]*result=\"error\"[^}]*\\} [1-9]", text);
        Assert.Matches("wasme_operator_reconcile_errors_total\\{[^}]*controller=\"filterdeployment\"[^}]*\\} [1-9]", text);
        Assert.Matches("wasme_operator_queue_depth\\{[^}]*controller=\"filterdeployment\"[^}]*\\} [0-9]", text);
        Assert.Matches("wasme_operator_reconcile_duration_seconds_bucket\\{[^}]*le=\"\\+Inf\"[^}]*\\} [1-9]", text);
        Assert.Matches("wasme_operator_reconcile_duration_seconds_bucket\\{[^}]*le=\"0.005\"", text);
        Assert.DoesNotMatch("wasme_operator_reconcile_duration_seconds_bucket\\{[^}]*le=\"750\"", text);
        Assert.Matches("wasme_operator_reconciles_total\\{[^}]*result=\"success\"[^}]*\\} [1-9]", text);
        // Counts only from below: the exporter follows every "Wasme.Operator" meter in this process, and other tests run in parallel.
        Assert.Matches("wasme_operator_api_writes_total\\{[^}]*kind=\"EnvoyFilter\"[^}]*verb=\"create\"[^}]*\\} [1-9]", text);
    }

    /// <summary>One <c>wasme operator</c> replica (as the CLI hosts it) against the harness's server.</summary>
    private sealed class Replica : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<bool> _run;
        private readonly k8s.IKubernetes _client;
        private bool _stopped;

        public Replica(OperatorHarness harness, string identity, bool leaderElect = true, TimeSpan? leaseDuration = null, TimeSpan? renewDeadline = null)
        {
            _client = harness.Server.CreateClient();
            var loggerFactory = LoggerFactory.Create(b => b.AddProvider(harness.Logs));
            Host = new OperatorHost(
                new OperatorOptions
                {
                    LeaderElect = leaderElect,
                    LeaseNamespace = "wasme",
                    Identity = identity,
                    LeaseDuration = leaseDuration ?? TimeSpan.FromSeconds(2),
                    RenewDeadline = renewDeadline ?? TimeSpan.FromSeconds(1.5),
                    RetryPeriod = TimeSpan.FromMilliseconds(200),
                    HealthAddress = "127.0.0.1:0",
                    MetricsAddress = "127.0.0.1:0",
                    Workers = 2,
                },
                _client,
                new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System),
                loggerFactory,
                TimeProvider.System);
            Reconciles = new ReconcileCounter(Host.Metrics);
            _run = Task.Run(() => Host.RunAsync(_stop.Token));
        }

        public OperatorHost Host { get; }

        public ReconcileCounter Reconciles { get; }

        /// <summary>What the host's run returns: false when it lost the Lease.</summary>
        public Task<bool> Run => _run;

        public async Task StopAsync()
        {
            if (_stopped || _run.IsCompleted)
            {
                _stopped = true;
                return;
            }

            _stopped = true;
            await _stop.CancelAsync();
            Assert.True(await _run, "a replica stopped by its owner reports a clean stop");
        }

        /// <summary>What the CLI does once the host returned: the client goes.</summary>
        public async Task DisposeClientAsync()
        {
            await StopAsync();
            _client.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            Reconciles.Dispose();
            await Host.DisposeAsync();
            _client.Dispose();
            _stop.Dispose();
        }
    }
}
