namespace Wasme.Cache.Tests.Support;

internal static class ModuleCacheSync
{
    /// <summary>Sync passes until no fetch is running: where the daemon's loop arrives once its fetches have ended.</summary>
    public static async Task<TimeSpan> SyncAsync(this ModuleCache cache)
    {
        while (true)
        {
            var delay = await cache.SyncOnceAsync(CancellationToken.None);
            if (!cache.IsFetching)
            {
                return delay;
            }

            await cache.FetchesRunning;
        }
    }
}
