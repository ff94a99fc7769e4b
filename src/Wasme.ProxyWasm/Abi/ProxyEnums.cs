namespace Wasme.ProxyWasm;

/// <summary>Proxy-Wasm log levels (<c>proxy_log_level_t</c>).</summary>
public enum ProxyLogLevel
{
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
}

/// <summary>What a header callback tells the data plane (Envoy's <c>FilterHeadersStatus</c>).</summary>
public enum FilterHeadersStatus
{
    Continue = 0,
    StopIteration = 1,
    ContinueAndEndStream = 2,
    StopAllIterationAndBuffer = 3,
    StopAllIterationAndWatermark = 4,
}

/// <summary>What a body callback tells the data plane (Envoy's <c>FilterDataStatus</c>).</summary>
public enum FilterDataStatus
{
    Continue = 0,
    StopIterationAndBuffer = 1,
    StopIterationAndWatermark = 2,
    StopIterationNoBuffer = 3,
}

/// <summary>What a trailers callback tells the data plane (Envoy's <c>FilterTrailersStatus</c>).</summary>
public enum FilterTrailersStatus
{
    Continue = 0,
    StopIteration = 1,
}

/// <summary>The direction a filter resumes or closes (<c>proxy_stream_type_t</c>).</summary>
public enum StreamType
{
    HttpRequest = 0,
    HttpResponse = 1,
    Downstream = 2,
    Upstream = 3,
}

/// <summary>Proxy-Wasm metric kinds (<c>proxy_metric_type_t</c>).</summary>
public enum MetricType
{
    Counter = 0,
    Gauge = 1,
    Histogram = 2,
}
