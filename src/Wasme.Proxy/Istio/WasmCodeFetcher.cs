using System.Net;
using System.Security.Cryptography;

namespace Wasme.Proxy.Istio;

/// <summary>Why a module could not be fetched; the CLI maps each to its own exit code.</summary>
public enum WasmCodeFailure
{
    NotFound,
    Network,
    Integrity,
}

/// <summary>A module could not be fetched or failed its sha256 check; nothing was loaded.</summary>
public sealed class WasmCodeFetchException(WasmCodeFailure failure, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public WasmCodeFailure Failure { get; } = failure;
}

/// <summary>Resolves a WasmPlugin <c>oci://</c> URL to module bytes (the CLI answers from the local image store).</summary>
public interface IOciModuleResolver
{
    /// <exception cref="WasmCodeFetchException">The image is unknown or its digest does not match.</exception>
    Task<byte[]> ResolveAsync(OciWasmCode code, CancellationToken cancellationToken);
}

/// <summary>
/// Fetches a filter's module the way Envoy (or istio-agent) would: a local file, or a remote URL through the
/// named cluster when the proxy has one, with the size bounded and the sha256 checked before anything runs.
/// Local paths are the sidecar's: <paramref name="mounts"/> maps them to this machine's directories.
/// </summary>
public sealed class WasmCodeFetcher(HttpMessageInvoker client, IReadOnlyDictionary<string, Uri> clusters, IOciModuleResolver? oci, long maxModuleBytes, SidecarMounts? mounts = null)
{
    private readonly SidecarMounts _mounts = mounts ?? SidecarMounts.None;

    /// <summary>256 MiB, the module bound the image store uses.</summary>
    public const long DefaultMaxModuleBytes = 256L * 1024 * 1024;

    /// <exception cref="WasmCodeFetchException">Missing, unreachable, too large, or a sha256 mismatch.</exception>
    public async Task<byte[]> FetchAsync(WasmFilterDefinition filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        switch (filter.Code)
        {
            case LocalWasmCode local:
                return await ReadLocalAsync(local.Path, filter.Origin, cancellationToken);
            case RemoteWasmCode remote:
                var bytes = await FetchRemoteAsync(remote, filter.Origin, cancellationToken);
                if (remote.Sha256 is { } expected)
                {
                    var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
                    if (actual != expected)
                    {
                        throw new WasmCodeFetchException(WasmCodeFailure.Integrity,
                            $"{filter.Origin}: the module from {remote.Uri} has sha256 {actual}, but the resource pins {expected}; refusing to run it");
                    }
                }

                return bytes;
            case OciWasmCode image when oci is not null:
                return await oci.ResolveAsync(image, cancellationToken);
            case OciWasmCode image:
                throw new WasmCodeFetchException(WasmCodeFailure.NotFound, $"{filter.Origin}: cannot fetch oci://{image.Reference} here");
            default:
                throw new InvalidOperationException($"unknown code source {filter.Code.GetType().Name}");
        }
    }

    /// <summary>The URL Envoy would fetch: through the named cluster when the proxy has it (the host in the URI only names it).</summary>
    public Uri ResolveUri(RemoteWasmCode remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        return remote.Cluster is not null && clusters.TryGetValue(remote.Cluster, out var cluster)
            ? new Uri(cluster, remote.Uri.PathAndQuery)
            : remote.Uri;
    }

    private async Task<byte[]> ReadLocalAsync(string containerPath, string origin, CancellationToken cancellationToken)
    {
        var path = _mounts.TryMap(containerPath) ?? throw new WasmCodeFetchException(WasmCodeFailure.NotFound,
            $"{origin}: code.local.filename {containerPath} is outside every --mount ({string.Join(", ", _mounts.Mounts.Select(m => m.ContainerDirectory))}); " +
            "add --mount HOST_DIR:CONTAINER_DIR for the directory that holds it");
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            var mapped = path == containerPath ? string.Empty : $" (mounted at {path})";
            throw new WasmCodeFetchException(WasmCodeFailure.NotFound, $"{origin}: code.local.filename {containerPath}{mapped} does not exist");
        }

        if (info.Length > maxModuleBytes)
        {
            throw new WasmCodeFetchException(WasmCodeFailure.Integrity, $"{origin}: {path} is {info.Length} bytes, over the {maxModuleBytes}-byte module limit");
        }

        // The length checked above is 0 for a device or a pipe (/dev/zero), which never ends: the read is bounded too.
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        return await ReadBoundedAsync(file, () => $"{origin}: {path} holds more than the {maxModuleBytes}-byte module limit", cancellationToken);
    }

    private async Task<byte[]> ReadBoundedAsync(Stream body, Func<string> tooLarge, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxModuleBytes)
            {
                throw new WasmCodeFetchException(WasmCodeFailure.Integrity, tooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private async Task<byte[]> FetchRemoteAsync(RemoteWasmCode remote, string origin, CancellationToken cancellationToken)
    {
        var uri = ResolveUri(remote);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(remote.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            using var response = await client.SendAsync(request, timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new WasmCodeFetchException(WasmCodeFailure.NotFound, $"{origin}: {uri} answered 404; is the module in the cache?");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new WasmCodeFetchException(WasmCodeFailure.Network, $"{origin}: {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength > maxModuleBytes)
            {
                throw new WasmCodeFetchException(WasmCodeFailure.Integrity, $"{origin}: {uri} sends {response.Content.Headers.ContentLength} bytes, over the {maxModuleBytes}-byte module limit");
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            return await ReadBoundedAsync(body, () => $"{origin}: {uri} sent more than the {maxModuleBytes}-byte module limit", timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new WasmCodeFetchException(WasmCodeFailure.Network, $"{origin}: cannot fetch {uri}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WasmCodeFetchException(WasmCodeFailure.Network, $"{origin}: fetching {uri} took longer than {remote.Timeout.TotalSeconds:0.#}s", ex);
        }
    }
}
