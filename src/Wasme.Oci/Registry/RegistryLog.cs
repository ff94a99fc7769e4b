using Microsoft.Extensions.Logging;

namespace Wasme.Oci.Registry;

internal static partial class RegistryLog
{
    [LoggerMessage(1, LogLevel.Debug, "{Method} {Url} -> {Status}")]
    public static partial void Response(ILogger logger, string method, string url, int status);

    [LoggerMessage(2, LogLevel.Warning, "{Method} {Url} failed ({Reason}); retry {Attempt} of {MaxRetries} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string method, string url, string reason, int attempt, int maxRetries, double delayMs);

    [LoggerMessage(3, LogLevel.Debug, "Redirect from {From} to {To}; credentials {Kept}")]
    public static partial void Redirect(ILogger logger, string from, string to, string kept);

    [LoggerMessage(4, LogLevel.Debug, "Requesting a token from {Realm} for scope '{Scope}'")]
    public static partial void RequestingToken(ILogger logger, string realm, string scope);

    [LoggerMessage(5, LogLevel.Debug, "Blob {Digest} already in {Repository}; skipped")]
    public static partial void BlobExists(ILogger logger, string digest, string repository);

    [LoggerMessage(6, LogLevel.Debug, "Blob {Digest} mounted into {Repository} from {From}")]
    public static partial void BlobMounted(ILogger logger, string digest, string repository, string from);

    [LoggerMessage(7, LogLevel.Debug, "Upload session {Location} not needed (the registry has the blob); cancelled: HTTP {Status}")]
    public static partial void UploadCancelled(ILogger logger, string location, int status);

    [LoggerMessage(8, LogLevel.Debug, "Upload session {Location} left by a failed or cancelled upload; cancelled: HTTP {Status}")]
    public static partial void UploadAbandoned(ILogger logger, string location, int status);
}
