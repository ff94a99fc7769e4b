using System.Collections.Concurrent;

namespace Wasme.E2E.Tests;

/// <summary>
/// Runs each delivery mode's end-to-end flow at most once per cluster, whichever test asks first: the flow's own
/// test, or one that inspects what the flow did (the RBAC each identity used), in any order.
/// </summary>
public sealed class DeliveryRuns
{
    private readonly ConcurrentDictionary<string, Lazy<Task>> _runs = new(StringComparer.Ordinal);

    public Task RunAsync(string delivery, Func<Task> run) =>
        _runs.GetOrAdd(delivery, _ => new Lazy<Task>(run)).Value;
}

/// <summary>One cluster shared by the tests that drive it and those that inspect what driving it did.</summary>
[CollectionDefinition(Name)]
public sealed class SharedCluster : ICollectionFixture<ClusterEnvironment>
{
    public const string Name = "cluster";
}
