using Wasme.Cache.Storage;

namespace Wasme.Cache.Eviction;

/// <summary>Why a module is removed.</summary>
public enum EvictionReason
{
    /// <summary>Nothing has referenced it for longer than the grace period.</summary>
    GracePeriodExpired,

    /// <summary>The directory is over its quota; the least recently used unreferenced modules go first.</summary>
    QuotaExceeded,
}

public sealed record EvictionDecision(ModuleDigest Module, EvictionReason Reason);

/// <summary>
/// Decides which modules to remove. Pure: no clock, no disk. A module that any FilterDeployment
/// references is never removed, whatever the quota says: serving a module a proxy needs beats
/// staying under a soft disk budget.
/// </summary>
public static class EvictionPolicy
{
    public static IReadOnlyList<EvictionDecision> Decide(
        IReadOnlyCollection<StoredModule> stored,
        IReadOnlySet<ModuleDigest> referenced,
        IReadOnlyDictionary<ModuleDigest, DateTimeOffset> unreferencedSince,
        DateTimeOffset now,
        TimeSpan gracePeriod,
        long quotaBytes)
    {
        var decisions = new List<EvictionDecision>();
        var remaining = new List<StoredModule>();
        foreach (var module in stored)
        {
            var digest = module.Entry.Digest;
            if (!referenced.Contains(digest)
                && unreferencedSince.TryGetValue(digest, out var since)
                && now - since >= gracePeriod)
            {
                decisions.Add(new EvictionDecision(digest, EvictionReason.GracePeriodExpired));
            }
            else
            {
                remaining.Add(module);
            }
        }

        var total = remaining.Sum(m => m.Entry.Length);
        if (total <= quotaBytes)
        {
            return decisions;
        }

        foreach (var module in remaining
                     .Where(m => !referenced.Contains(m.Entry.Digest))
                     .OrderBy(m => m.LastUsed)
                     .ThenBy(m => m.Entry.Digest.Hex, StringComparer.Ordinal))
        {
            if (total <= quotaBytes)
            {
                break;
            }

            decisions.Add(new EvictionDecision(module.Entry.Digest, EvictionReason.QuotaExceeded));
            total -= module.Entry.Length;
        }

        return decisions;
    }
}
