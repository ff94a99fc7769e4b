using Wasme.Oci.Errors;

namespace Wasme.Oci.Registry;

/// <summary>How to talk to registries. Validated by <see cref="Validate"/> when the client is created.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Use http:// for every registry. Loopback registries use plain HTTP without it, as docker does.</summary>
    public bool PlainHttp { get; init; }

    /// <summary>Skip TLS certificate verification. Only when asked (<c>--insecure</c>).</summary>
    public bool Insecure { get; init; }

    /// <summary>Largest layer (module) accepted; compat layers are bounded after decompression too.</summary>
    public long MaxModuleSize { get; init; } = RegistryLimits.DefaultMaxModuleSize;

    /// <summary>Blobs larger than this are uploaded in PATCH chunks of this size; 0 = always monolithic.</summary>
    public long UploadChunkSize { get; init; }

    /// <summary>
    /// Retries after a transient failure (connection failure, 408, 429, most 5xx), with exponential
    /// backoff and jitter from <see cref="RetryBaseDelay"/>; POST and PATCH only when the registry
    /// cannot have acted on them.
    /// </summary>
    public int MaxRetries { get; init; } = 3;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between retries; a <c>Retry-After</c> asking for more fails the request at once.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = DefaultMaxRetryDelay;

    /// <summary>
    /// Longest time without progress on a connection: waiting for response headers, between body
    /// reads, between upload writes. A stalled exchange fails (network error) instead of hanging.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = DefaultReadTimeout;

    /// <summary>Timeout of a request until its response headers arrive, however much it progresses.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromSeconds(30);

    public string UserAgent { get; init; } = "wasme/0.1";

    public void Validate()
    {
        if (MaxModuleSize <= 0)
        {
            throw new OciUsageException($"The module size limit must be positive (got {MaxModuleSize}).");
        }

        if (UploadChunkSize < 0)
        {
            throw new OciUsageException($"The upload chunk size must be 0 (monolithic) or positive (got {UploadChunkSize}).");
        }

        if (ReadTimeout <= TimeSpan.Zero && ReadTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new OciUsageException($"The read timeout must be positive (got {ReadTimeout}).");
        }

        if (RetryBaseDelay < TimeSpan.Zero || MaxRetryDelay < RetryBaseDelay || MaxRetryDelay > TimeSpan.FromDays(1))
        {
            throw new OciUsageException($"Retry delays must satisfy 0 <= base ({RetryBaseDelay}) <= max ({MaxRetryDelay}) <= 1 day.");
        }

        if (MaxRetries is < 0 or > 10)
        {
            throw new OciUsageException($"Retries must be between 0 and 10 (got {MaxRetries}).");
        }
    }
}
