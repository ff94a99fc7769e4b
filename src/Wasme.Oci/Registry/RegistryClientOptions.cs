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

    /// <summary>Retries after a 5xx or connection failure, with exponential backoff from <see cref="RetryBaseDelay"/>.</summary>
    public int MaxRetries { get; init; } = 3;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Per-request timeout (headers and body).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

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

        if (MaxRetries is < 0 or > 10)
        {
            throw new OciUsageException($"Retries must be between 0 and 10 (got {MaxRetries}).");
        }
    }
}
