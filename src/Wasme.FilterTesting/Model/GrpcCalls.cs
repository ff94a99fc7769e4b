namespace Wasme.FilterTesting.Model;

/// <summary>
/// How a cluster answers a filter's gRPC call or stream whose service and method match (null matches any): after
/// <see cref="Delay"/> of virtual time, the response headers and messages; once the filter has closed its side, the
/// trailers and the status. <see cref="Fail"/> answers as a cluster nothing listens on (UNAVAILABLE).
/// </summary>
public sealed record GrpcAnswer
{
    public string? Service { get; init; }

    public string? Method { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> InitialMetadata { get; init; } = [];

    public IReadOnlyList<byte[]> Messages { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; init; } = [];

    public int Status { get; init; }

    public string Message { get; init; } = string.Empty;

    public TimeSpan Delay { get; init; }

    public bool Fail { get; init; }
}

/// <summary>A gRPC call the filter should have made; unset fields are not checked.</summary>
public sealed record GrpcCallExpectation
{
    public required string Cluster { get; init; }

    public string? Service { get; init; }

    public string? Method { get; init; }

    public IReadOnlyDictionary<string, HeaderMatcher> Metadata { get; init; } = new Dictionary<string, HeaderMatcher>();

    /// <summary>The messages the filter sent, in order and all of them.</summary>
    public IReadOnlyList<MessageExpectation>? Messages { get; init; }

    public bool? Cancelled { get; init; }
}

/// <summary>One message sent: exact bytes (written as base64) or a body matcher.</summary>
public sealed record MessageExpectation(byte[]? Bytes, BodyMatcher? Matcher);
