using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wasme.Proxy.Chain;

namespace Wasme.Proxy.Admin;

/// <summary>
/// The admin endpoint: <c>/stats</c> in Prometheus text format, <c>/stats?format=json</c> as JSON, and
/// <c>/ready</c>. Served on its own port so filters never see admin traffic.
/// </summary>
internal sealed class AdminEndpoint(ProxyMetrics metrics, IReadOnlyList<IFilterMetricsSource> sources)
{
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        switch (path)
        {
            case "/stats" or "/stats/prometheus" or "/metrics":
                var json = string.Equals(context.Request.Query["format"], "json", StringComparison.OrdinalIgnoreCase);
                var body = json ? RenderJson() : RenderPrometheus();
                context.Response.ContentType = json ? "application/json" : "text/plain; version=0.0.4";
                await context.Response.Body.WriteAsync(body, context.RequestAborted);
                break;
            case "/ready":
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("LIVE\n", context.RequestAborted);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("admin endpoints: /stats, /stats?format=json, /ready\n", context.RequestAborted);
                break;
        }
    }

    internal byte[] RenderPrometheus()
    {
        var text = new StringBuilder();
        AppendProxyMetric(text, "wasme_proxy_requests_total", metrics.Requests);
        AppendProxyMetric(text, "wasme_proxy_local_replies_total", metrics.LocalReplies);
        AppendProxyMetric(text, "wasme_proxy_upstream_errors_total", metrics.UpstreamErrors);
        text.Append("# TYPE wasme_proxy_filter_failures_total counter\n");
        foreach (var (filter, count) in FilterFailures())
        {
            text.Append(CultureInfo.InvariantCulture, $"wasme_proxy_filter_failures_total{{filter=\"{Escape(filter)}\"}} {count}\n");
        }

        string? lastName = null;
        foreach (var sample in Samples().OrderBy(s => PrometheusName(s.Name), StringComparer.Ordinal).ThenBy(s => s.Filter ?? string.Empty, StringComparer.Ordinal))
        {
            var name = PrometheusName(sample.Name);
            if (name != lastName)
            {
                var type = sample.Type switch
                {
                    FilterMetricType.Counter => "counter",
                    FilterMetricType.Gauge => "gauge",
                    _ => "untyped",
                };
                text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} {type}\n");
                lastName = name;
            }

            if (sample.Filter is null)
            {
                text.Append(CultureInfo.InvariantCulture, $"{name} {sample.Value}\n");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"{name}{{filter=\"{Escape(sample.Filter)}\"}} {sample.Value}\n");
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    internal byte[] RenderJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("proxy");
            writer.WriteNumber("requests", metrics.Requests);
            writer.WriteNumber("localReplies", metrics.LocalReplies);
            writer.WriteNumber("upstreamErrors", metrics.UpstreamErrors);
            writer.WriteStartObject("filterFailures");
            foreach (var (filter, count) in FilterFailures())
            {
                writer.WriteNumber(filter, count);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartArray("filters");
            foreach (var sample in Samples())
            {
                writer.WriteStartObject();
                if (sample.Filter is not null)
                {
                    writer.WriteString("filter", sample.Filter);
                }

                writer.WriteString("name", sample.Name);
                writer.WriteString("type", sample.Type.ToString().ToLowerInvariant());
                writer.WriteNumber("value", sample.Value);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private IEnumerable<FilterMetricSample> Samples() => sources.SelectMany(source => source.Snapshot());

    /// <summary>The proxy's own failure counts (a filter that threw) plus those the sources saw (a VM that trapped).</summary>
    internal SortedDictionary<string, long> FilterFailures()
    {
        var failures = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (filter, count) in metrics.FilterFailures.Concat(sources.SelectMany(source => source.FilterFailures())))
        {
            failures[filter] = failures.GetValueOrDefault(filter) + count;
        }

        return failures;
    }

    private static void AppendProxyMetric(StringBuilder text, string name, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} counter\n{name} {value}\n");

    /// <summary>Prometheus metric names allow [a-zA-Z0-9_:] and must not start with a digit.</summary>
    internal static string PrometheusName(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
