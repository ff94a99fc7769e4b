using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Time.Testing;
using Wasme.Operator.Hosting;
using Wasme.Kubernetes.Clients;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.Hosting;

/// <summary>
/// Issue 14, point 8: a leader paused past its renew deadline went on writing after another replica took the Lease.
/// Every write now passes the fence, which closes once the renew deadline has passed since the last renewal.
/// </summary>
public sealed class LeaseFenceTests : IClassFixture<RegistryFixture>
{
    private static readonly TimeSpan RenewDeadline = TimeSpan.FromSeconds(10);
    private readonly RegistryFixture _registry;
    private readonly FakeTimeProvider _time = new();

    public LeaseFenceTests(RegistryFixture registry)
    {
        _registry = registry;
    }

    [Fact]
    public async Task Writing_is_allowed_only_within_the_renew_deadline_of_the_last_renewal()
    {
        var lease = new FakeLock();
        var fence = new LeaseFence(lease, RenewDeadline, _time);
        Assert.Throws<LeaseExpiredException>(fence.EnsureMayWrite);

        Assert.True(await fence.CreateAsync(Record("me")));
        fence.EnsureMayWrite();
        _time.Advance(RenewDeadline - TimeSpan.FromMilliseconds(1));
        fence.EnsureMayWrite();

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var refused = Assert.Throws<LeaseExpiredException>(fence.EnsureMayWrite);
        Assert.Contains("renew deadline", refused.Message, StringComparison.Ordinal);

        Assert.True(await fence.UpdateAsync(Record("me")));
        fence.EnsureMayWrite();
    }

    [Fact]
    public async Task A_renewal_counts_from_when_it_was_sent_and_a_failed_one_not_at_all()
    {
        var lease = new FakeLock();
        var fence = new LeaseFence(lease, RenewDeadline, _time);
        await fence.CreateAsync(Record("me"));

        // The renewal took 8 s to answer: it proves the Lease only as of when it was sent.
        lease.OnUpdate = () => _time.Advance(TimeSpan.FromSeconds(8));
        await fence.UpdateAsync(Record("me"));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Throws<LeaseExpiredException>(fence.EnsureMayWrite);

        lease.OnUpdate = null;
        lease.Succeeds = false;
        await fence.UpdateAsync(Record("me"));
        Assert.Throws<LeaseExpiredException>(fence.EnsureMayWrite);
    }

    [Fact]
    public async Task A_leader_that_reads_another_holder_in_the_Lease_writes_nothing_more_at_once()
    {
        // Another replica took the Lease (a leader that was paused, a Lease edited by hand): the elector reads it at its next
        // renewal and keeps "leading" until the renew deadline runs out. Before, the fence let every write through meanwhile,
        // so two replicas wrote at once for up to the renew deadline.
        var lease = new FakeLock();
        var fence = new LeaseFence(lease, RenewDeadline, _time);
        await fence.UpdateAsync(Record("me"));
        fence.EnsureMayWrite();

        lease.Holder = "replica-b";
        await fence.GetAsync();

        var refused = Assert.Throws<LeaseExpiredException>(fence.EnsureMayWrite);
        Assert.Contains("replica-b", refused.Message, StringComparison.Ordinal);

        // Taken back (the other's Lease ran out and the elector renewed it as ours): writing again.
        lease.Holder = "me";
        await fence.GetAsync();
        Assert.Throws<LeaseExpiredException>(fence.EnsureMayWrite);
        await fence.UpdateAsync(Record("me"));
        fence.EnsureMayWrite();
    }

    [Fact]
    public async Task Releasing_clears_the_holder_keeps_the_transitions_and_closes_the_fence()
    {
        var lease = new FakeLock();
        var fence = new LeaseFence(lease, RenewDeadline, _time);
        Assert.False(await fence.ReleaseAsync(CancellationToken.None));
        Assert.Null(lease.LastUpdate);

        var renewal = Record("me");
        renewal.LeaderTransitions = 3;
        await fence.UpdateAsync(renewal);
        Assert.True(await fence.ReleaseAsync(CancellationToken.None));

        // Empty rather than null: KubernetesClient's elector would try to create a Lease whose holder is null, forever.
        Assert.Equal(string.Empty, lease.LastUpdate!.HolderIdentity);
        Assert.Equal(1, lease.LastUpdate.LeaseDurationSeconds);
        Assert.Equal(3, lease.LastUpdate.LeaderTransitions);
        Assert.Throws<LeaseExpiredException>(fence.EnsureMayWrite);
    }

    [Fact]
    public async Task Release_still_hands_the_Lease_over_after_a_renewal_whose_answer_was_lost()
    {
        // A SIGTERM that cancels a renewal in flight: the server applied it (a new resourceVersion) but the elector never
        // saw the answer, so the release's replace carried a stale resourceVersion, got 409, and the Lease stayed held
        // for its whole duration while the standby waited (seen as a flaky OperatorHostTests run under load).
        await using var harness = await OperatorHarness.StartAsync();
        var fence = await HoldLeaseAsync(harness);
        var landed = await harness.Client.CoordinationV1.ReadNamespacedLeaseAsync("wasme-operator", "wasme");
        landed.Spec.RenewTime = DateTime.UtcNow;
        await harness.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(landed, "wasme-operator", "wasme");

        Assert.True(await fence.ReleaseAsync(CancellationToken.None));

        var lease = await harness.Client.CoordinationV1.ReadNamespacedLeaseAsync("wasme-operator", "wasme");
        Assert.Equal(string.Empty, lease.Spec.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseDurationSeconds);
    }

    [Fact]
    public async Task Release_leaves_alone_a_Lease_another_replica_took_meanwhile()
    {
        await using var harness = await OperatorHarness.StartAsync();
        var fence = await HoldLeaseAsync(harness);
        var taken = await harness.Client.CoordinationV1.ReadNamespacedLeaseAsync("wasme-operator", "wasme");
        taken.Spec.HolderIdentity = "other";
        await harness.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(taken, "wasme-operator", "wasme");

        Assert.False(await fence.ReleaseAsync(CancellationToken.None));

        Assert.Equal("other", (await harness.Client.CoordinationV1.ReadNamespacedLeaseAsync("wasme-operator", "wasme")).Spec.HolderIdentity);
    }

    [Fact]
    public async Task A_leader_paused_past_its_renew_deadline_writes_nothing_more()
    {
        var image = await _registry.PushAsync("fence/filter:v1");
        await using var harness = await OperatorHarness.StartAsync();
        harness.Apply(Manifests.Workload("details-v1", "details"));
        harness.Apply(Manifests.Workload("reviews-v1", "reviews"));
        var fence = new LeaseFence(new FakeLock(), RenewDeadline, _time);
        await fence.UpdateAsync(Record("me"));
        harness.StartOperator(fence: fence);
        harness.Apply(Manifests.FilterDeployment("before", image.Reference));
        // Ready shows in the store before the server has logged the write that made it; the reconcile returns only
        // after that write's response, so once it is done the log holds everything written while the Lease was fresh.
        await harness.EventuallyAsync(
            () => harness.IsReady("before") && !harness.IsReconciling("before"),
            "the leader reconciles while its Lease is fresh, and is done writing");

        // The pause: no renewal for the whole renew deadline; another replica may hold the Lease by now.
        _time.Advance(RenewDeadline);
        harness.Server.Requests.Clear();
        harness.Apply(Manifests.FilterDeployment("after", image.Reference, app: "reviews"));

        await harness.EventuallyAsync(
            () => harness.Logs.Lines.Any(l => l.Contains("bookinfo/after", StringComparison.Ordinal) && l.Contains("renew deadline", StringComparison.Ordinal)),
            "the paused leader tried and held back");
        Assert.Empty(harness.Writes());
        Assert.Null(harness.EnvoyFilter("reviews-v1-after.bookinfo"));
        Assert.Null(harness.FilterDeployment("after")!["status"]);
    }

    [Fact]
    public async Task A_renewal_that_cannot_reach_the_API_server_is_retried_within_the_renew_deadline()
    {
        // client-go keeps retrying a failed renewal until the renew deadline. KubernetesClient's elector does so only for an
        // HTTP error answer: a connection refused or reset (an API server restarting behind its load balancer) ended the
        // renew loop at once, so the leader gave the Lease up and exited on a single blip.
        var inner = new FakeLock();
        using var fence = new LeaseFence(inner, TimeSpan.FromSeconds(20), TimeProvider.System);
        using var elector = new LeaderElector(new LeaderElectionConfig(fence)
        {
            LeaseDuration = TimeSpan.FromSeconds(30),
            RenewDeadline = TimeSpan.FromSeconds(20),
            RetryPeriod = TimeSpan.FromMilliseconds(20),
        });
        var started = new TaskCompletionSource();
        var stopped = new TaskCompletionSource();
        var errors = new List<string>();
        elector.OnStartedLeading += () => started.TrySetResult();
        elector.OnStoppedLeading += () => stopped.TrySetResult();
        elector.OnError += e => errors.Add(e.Message);
        using var stop = new CancellationTokenSource();
        var run = elector.RunUntilLeadershipLostAsync(stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var renewedAfter = inner.FailNextCalls(new HttpRequestException("Connection refused (127.0.0.1:6443)"), gets: 2, updates: 1);

        Assert.Same(renewedAfter, await Task.WhenAny(renewedAfter, stopped.Task).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(stopped.Task.IsCompleted);
        fence.EnsureMayWrite();
        Assert.Contains(errors, e => e.Contains("Connection refused", StringComparison.Ordinal));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    /// <summary>A fence over KubernetesClient's real LeaseLock on the API test server, holding Lease wasme/wasme-operator as "me".</summary>
    private static async Task<LeaseFence> HoldLeaseAsync(OperatorHarness harness)
    {
        harness.Server.ApplyYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wasme\n");
        var fence = new LeaseFence(new LeaseLock(harness.Client, "wasme", "wasme-operator", "me"), RenewDeadline, TimeProvider.System);
        Assert.True(await fence.CreateAsync(Record("me")));
        return fence;
    }

    // A duration, as the elector always writes one: kube-apiserver (and the test server) refuse a Lease of 0 seconds.
    private static LeaderElectionRecord Record(string holder) =>
        new() { HolderIdentity = holder, LeaseDurationSeconds = 15, AcquireTime = DateTime.UtcNow, RenewTime = DateTime.UtcNow };

    private sealed class FakeLock : ILock
    {
        public bool Succeeds { get; set; } = true;

        public Action? OnUpdate { get; set; }

        public string Identity => "me";

        public string Describe() => "fake/lease";

        public string Holder { get; set; } = "me";

        private readonly Lock _gate = new();
        private Exception? _failure;
        private int _failGets;
        private int _failUpdates;
        private TaskCompletionSource? _renewedAfterFailures;

        /// <summary>The next gets and updates throw <paramref name="failure"/>; the task ends at the first update that succeeds after them.</summary>
        public Task FailNextCalls(Exception failure, int gets, int updates)
        {
            lock (_gate)
            {
                _failure = failure;
                _failGets = gets;
                _failUpdates = updates;
                _renewedAfterFailures = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _renewedAfterFailures.Task;
            }
        }

        public Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                if (_failGets > 0)
                {
                    _failGets--;
                    return Task.FromException<LeaderElectionRecord>(_failure!);
                }
            }

            return Task.FromResult(Record(Holder));
        }

        public Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) => Task.FromResult(Succeeds);

        public LeaderElectionRecord? LastUpdate { get; private set; }

        public Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                if (_failUpdates > 0)
                {
                    _failUpdates--;
                    return Task.FromException<bool>(_failure!);
                }

                if (_failGets == 0 && Succeeds)
                {
                    _renewedAfterFailures?.TrySetResult();
                }
            }

            LastUpdate = record;
            OnUpdate?.Invoke();
            return Task.FromResult(Succeeds);
        }
    }
}
