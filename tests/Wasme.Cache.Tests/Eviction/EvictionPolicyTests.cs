using Wasme.Cache.Eviction;
using Wasme.Cache.Storage;

namespace Wasme.Cache.Tests.Eviction;

public sealed class EvictionPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);

    private static ModuleDigest D(char c) => ModuleDigest.Parse(new string(c, 64));

    private static StoredModule Stored(char c, long length, int minutesAgo) =>
        new(new ModuleEntry(D(c), "/x/" + c, length), Now.AddMinutes(-minutesAgo));

    [Fact]
    public void Unreferenced_module_is_kept_during_the_grace_period_and_evicted_after()
    {
        StoredModule[] stored = [Stored('a', 10, 0)];
        var since = new Dictionary<ModuleDigest, DateTimeOffset> { [D('a')] = Now.AddMinutes(-9) };

        Assert.Empty(EvictionPolicy.Decide(stored, new HashSet<ModuleDigest>(), since, Now, Grace, 1000));

        since[D('a')] = Now.AddMinutes(-10);
        var decision = Assert.Single(EvictionPolicy.Decide(stored, new HashSet<ModuleDigest>(), since, Now, Grace, 1000));
        Assert.Equal(new EvictionDecision(D('a'), EvictionReason.GracePeriodExpired), decision);
    }

    [Fact]
    public void Referenced_module_is_never_evicted_even_over_quota_or_with_a_stale_unreferenced_mark()
    {
        StoredModule[] stored = [Stored('a', 500, 60), Stored('b', 500, 60)];
        var referenced = new HashSet<ModuleDigest> { D('a'), D('b') };
        var since = new Dictionary<ModuleDigest, DateTimeOffset> { [D('a')] = Now.AddHours(-1) };

        Assert.Empty(EvictionPolicy.Decide(stored, referenced, since, Now, Grace, quotaBytes: 100));
    }

    [Fact]
    public void Over_quota_evicts_least_recently_used_unreferenced_modules_until_under()
    {
        StoredModule[] stored =
        [
            Stored('a', 400, minutesAgo: 1),  // referenced
            Stored('b', 300, minutesAgo: 5),  // unreferenced, used recently
            Stored('c', 300, minutesAgo: 30), // unreferenced, least recently used
            Stored('d', 300, minutesAgo: 20), // unreferenced
        ];
        var referenced = new HashSet<ModuleDigest> { D('a') };
        var since = new Dictionary<ModuleDigest, DateTimeOffset> { [D('b')] = Now, [D('c')] = Now, [D('d')] = Now };

        var decisions = EvictionPolicy.Decide(stored, referenced, since, Now, Grace, quotaBytes: 800);

        Assert.Equal(
            [new EvictionDecision(D('c'), EvictionReason.QuotaExceeded), new EvictionDecision(D('d'), EvictionReason.QuotaExceeded)],
            decisions);
    }

    [Fact]
    public void Under_quota_and_within_grace_nothing_is_evicted()
    {
        StoredModule[] stored = [Stored('a', 100, 1), Stored('b', 100, 1)];
        var since = new Dictionary<ModuleDigest, DateTimeOffset> { [D('b')] = Now };

        Assert.Empty(EvictionPolicy.Decide(stored, new HashSet<ModuleDigest> { D('a') }, since, Now, Grace, 1000));
    }
}
