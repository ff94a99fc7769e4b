using System.Text.Json.Nodes;
using Wasme.ProxyWasm;

namespace Wasme.FilterTesting.Model;

/// <summary>One test file: the filter chain and setting every case starts from, and the cases.</summary>
public sealed record FilterTestFile(string Path, string Text, IReadOnlyList<FilterTestCase> Cases);

/// <summary>What a case starts from: its filter chain and the proxy's state.</summary>
public sealed record GivenSpec
{
    public IReadOnlyList<FilterSpec> Filters { get; init; } = [new FilterSpec()];

    /// <summary><c>node.*</c> properties (<c>id</c>, <c>cluster</c>, <c>metadata.NAME</c>).</summary>
    public IReadOnlyDictionary<string, string> Node { get; init; } = new Dictionary<string, string>();

    /// <summary>Shared data present before the case, in the first filter's VM.</summary>
    public IReadOnlyDictionary<string, string> SharedData { get; init; } = new Dictionary<string, string>();

    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public int BodyBufferLimit { get; init; } = 1024 * 1024;

    /// <summary>Queues registered in the first filter's VM before the case, standing in for a consumer elsewhere (a service): filters can enqueue to them, and <c>then.queues</c> reads what they sent.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [];
}

/// <summary>One filter of the chain. A null <see cref="Module"/> takes the module given on the command line.</summary>
public sealed record FilterSpec
{
    /// <summary>Path of the .wasm file, already resolved against the test file's directory.</summary>
    public string? Module { get; init; }

    public string? Name { get; init; }

    public string? RootId { get; init; }

    /// <summary>Envoy's <c>vm_id</c>: filters with the same id share data and queues. Envoy's default is empty, so all share.</summary>
    public string VmId { get; init; } = string.Empty;

    public byte[] Configuration { get; init; } = [];

    public byte[] VmConfiguration { get; init; } = [];

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public FailurePolicy FailurePolicy { get; init; } = FailurePolicy.FailClosed;
}

/// <summary>One case: given, when, then. <see cref="Line"/> is where its name is, for reports.</summary>
public sealed record FilterTestCase(string Name, int Line, GivenSpec Given, WhenSpec When, ThenSpec Then, YamlLocation Location);

/// <summary>
/// Where a case sits in its file, so <c>--update</c> can rewrite its expected response in place: character offsets
/// of the case, its <c>then</c> value (flow style or block), and where its <c>then.response</c> value starts and
/// what follows it (the next key or case), since YAML marks say where a mapping starts but not where it ends.
/// Not <see cref="Editable"/> when the case's <c>then</c> or <c>then.response</c> is an alias, anchored or tagged.
/// </summary>
public sealed record YamlLocation(int CaseStart, int NextCaseStart, int CaseIndent, int? ThenStart, bool ThenIsFlow, bool ThenIsEmpty, int? ThenIndent, int? ResponseStart, int? ResponseBound, bool Editable = true);

public sealed record WhenSpec
{
    /// <summary>Virtual time that passes before the request; the filters' ticks fire as it passes.</summary>
    public TimeSpan Advance { get; init; }

    public RequestSpec Request { get; init; } = new();

    public UpstreamSpec Upstream { get; init; } = new();

    /// <summary>Answers to <c>proxy_http_call</c> per cluster; calls to a cluster not listed are refused as Envoy refuses unknown clusters.</summary>
    public IReadOnlyDictionary<string, CallAnswer> HttpCalls { get; init; } = new Dictionary<string, CallAnswer>();

    /// <summary>Answers to <c>proxy_grpc_call</c>/<c>proxy_grpc_stream</c> per cluster, matched by service and method in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<GrpcAnswer>> GrpcCalls { get; init; } = new Dictionary<string, IReadOnlyList<GrpcAnswer>>();

    /// <summary>How many times the request is sent; every response must meet the expectations.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Messages delivered, in order and after <see cref="Advance"/>, to queues the filters registered, before the request.</summary>
    public IReadOnlyList<QueueMessage> QueueMessages { get; init; } = [];
}

/// <summary>A message for the queue <paramref name="Queue"/> of VM <paramref name="VmId"/> (null: the first filter's VM id).</summary>
public sealed record QueueMessage(string Queue, string? VmId, byte[] Message, int Line);

public sealed record RequestSpec
{
    public string Method { get; init; } = "GET";

    public string Path { get; init; } = "/";

    public string Authority { get; init; } = "example.com";

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public IReadOnlyList<byte[]> Body { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; init; } = [];
}

public sealed record UpstreamSpec
{
    public int Status { get; init; } = 200;

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public IReadOnlyList<byte[]> Body { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; init; } = [];
}

/// <summary>How a cluster answers an <c>http_call</c>: a response after <see cref="Delay"/> of virtual time, or a failure.</summary>
public sealed record CallAnswer
{
    public int Status { get; init; } = 200;

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public byte[] Body { get; init; } = [];

    public TimeSpan Delay { get; init; }

    /// <summary>The call fails (connection refused): the filter gets a response with no headers.</summary>
    public bool Fail { get; init; }
}

public sealed record ThenSpec
{
    public ResponseExpectation? Response { get; init; }

    public UpstreamExpectation? Upstream { get; init; }

    public IReadOnlyList<CallExpectation>? HttpCalls { get; init; }

    public IReadOnlyList<GrpcCallExpectation>? GrpcCalls { get; init; }

    public IReadOnlyList<LogExpectation> Logs { get; init; } = [];

    public IReadOnlyDictionary<string, long> Metrics { get; init; } = new Dictionary<string, long>();

    public IReadOnlyDictionary<string, TextMatcher> SharedData { get; init; } = new Dictionary<string, TextMatcher>();

    /// <summary>Whether a filter failed (trap, deadline, memory cap) during the case; null leaves it unchecked.</summary>
    public bool? FilterFailed { get; init; }

    /// <summary>The messages waiting, in order, in each named queue of the first filter's VM after the case (what filters enqueued and nobody read).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TextMatcher>> Queues { get; init; } = new Dictionary<string, IReadOnlyList<TextMatcher>>();
}

public sealed record ResponseExpectation
{
    public int? Status { get; init; }

    public IReadOnlyDictionary<string, HeaderMatcher> Headers { get; init; } = new Dictionary<string, HeaderMatcher>();

    public BodyMatcher? Body { get; init; }

    public IReadOnlyDictionary<string, HeaderMatcher> Trailers { get; init; } = new Dictionary<string, HeaderMatcher>();

    /// <summary>The stream was reset instead of answered.</summary>
    public bool? Reset { get; init; }
}

public sealed record UpstreamExpectation
{
    public bool? Called { get; init; }

    public string? Method { get; init; }

    public TextMatcher? Path { get; init; }

    public IReadOnlyDictionary<string, HeaderMatcher> Headers { get; init; } = new Dictionary<string, HeaderMatcher>();

    public BodyMatcher? Body { get; init; }
}

public sealed record CallExpectation
{
    public required string Cluster { get; init; }

    public IReadOnlyDictionary<string, HeaderMatcher> Headers { get; init; } = new Dictionary<string, HeaderMatcher>();

    public BodyMatcher? Body { get; init; }
}

public sealed record LogExpectation(string? Level, TextMatcher Message, bool Absent);

/// <summary>JSON the test file wrote where a JSON value is meant (configuration, JSON bodies).</summary>
public static class JsonText
{
    public static string Write(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString() ?? "null";
}
