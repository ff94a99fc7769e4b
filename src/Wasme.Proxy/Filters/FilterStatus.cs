namespace Wasme.Proxy.Filters;

/// <summary>What a filter tells the chain after one of its callbacks, as Envoy's filter statuses do.</summary>
public enum FilterStatus
{
    /// <summary>Pass the headers, data or trailers on to the next filter.</summary>
    Continue = 0,

    /// <summary>
    /// Hold the stream here until the filter resumes it (<see cref="Streams.HttpExchange.Resume"/>) or sends a
    /// local reply. On a body callback the data seen so far stays buffered and the filter is called again with
    /// more of it (Envoy's StopIterationAndBuffer, which is what Proxy-Wasm's Pause means for data).
    /// </summary>
    StopIteration = 1,
}
