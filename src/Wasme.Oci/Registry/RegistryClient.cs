using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Oci.Registry;

/// <summary>
/// Client of the OCI distribution API: resolve, fetch and push manifests and blobs, list tags and
/// repositories. Every manifest and blob it returns was verified against its digest while it
/// streamed in, and bounded in size before anything was allocated.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly RegistryClientOptions _options;
    private readonly RegistryTransport _transport;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    public RegistryClient(
        RegistryClientOptions options,
        ICredentialProvider credentials,
        ILogger<RegistryClient>? logger = null,
        TimeProvider? timeProvider = null,
        HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _transport = new RegistryTransport(options, credentials, _logger, _timeProvider, handler);
    }

    public RegistryClientOptions Options => _options;

    /// <summary>Checks that the registry answers and accepts our credentials (<c>GET /v2/</c>).</summary>
    public async Task CheckAccessAsync(string registry, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(registry, [], HttpMethod.Get, "v2/", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await UnexpectedAsync(response, $"checking access to {registry}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Resolves a tag (or digest) to the manifest descriptor with <c>HEAD</c>, without downloading it.</summary>
    public async Task<Descriptor> ResolveAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        using (var response = await SendAsync(reference.Registry, [PullScope(reference)], HttpMethod.Head, ManifestPath(reference), AcceptManifests, cancellationToken).ConfigureAwait(false))
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw ManifestNotFound(reference);
            }

            if (response.IsSuccessStatusCode
                && response.Headers.TryGetValues("Docker-Content-Digest", out var values)
                && Digest.TryParse(values.FirstOrDefault(), out var digest)
                && response.Content.Headers.ContentLength is { } length)
            {
                if (reference.Digest is { } pinned && pinned != digest)
                {
                    throw new OciIntegrityException($"Registry {reference.Registry} answered digest {digest} for {reference}; refused.");
                }

                return new Descriptor
                {
                    MediaType = response.Content.Headers.ContentType?.MediaType ?? MediaTypes.OciManifest,
                    Digest = digest.ToString(),
                    Size = length,
                };
            }
        }

        // Some registries omit the digest header on HEAD: fetch and hash instead.
        var manifest = await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        return manifest.Descriptor;
    }

    /// <summary>Fetches a manifest or index, bounded to 4 MiB and verified against the pinned digest (or the registry's header).</summary>
    public async Task<ManifestContent> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(reference.Registry, [PullScope(reference)], HttpMethod.Get, ManifestPath(reference), AcceptManifests, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw ManifestNotFound(reference);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await UnexpectedAsync(response, $"fetching the manifest of {reference}", cancellationToken).ConfigureAwait(false);
        }

        var bytes = await RegistryTransport.ReadBoundedAsync(response.Content, RegistryLimits.MaxManifestSize, $"the manifest of {reference}", cancellationToken).ConfigureAwait(false);
        var digest = Digest.Compute(bytes);
        if (reference.Digest is { } pinned && pinned != digest)
        {
            throw new OciIntegrityException($"The manifest of {reference} does not match its digest: got {digest}. The registry or something between is tampering; nothing stored.");
        }

        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
            && Digest.TryParse(values.FirstOrDefault(), out var announced)
            && announced != digest)
        {
            throw new OciIntegrityException($"The manifest of {reference} does not match the digest the registry announced ({announced}); got {digest}. Nothing stored.");
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        using var document = ParseJson(bytes, reference);
        if (document.RootElement.TryGetProperty("mediaType", out var embedded) && embedded.ValueKind == JsonValueKind.String)
        {
            mediaType = embedded.GetString();
        }

        mediaType ??= document.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        return new ManifestContent(bytes, new Descriptor { MediaType = mediaType, Digest = digest.ToString(), Size = bytes.Length });
    }

    /// <summary>Downloads a blob into memory, verified against its digest and bounded by <paramref name="maxSize"/>.</summary>
    public async Task<byte[]> GetBlobAsync(ImageReference repository, Descriptor descriptor, long maxSize, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckBlobSize(repository, descriptor, maxSize);
        var buffer = new byte[descriptor.Size];
        using var destination = new MemoryStream(buffer);
        await CopyBlobAsync(repository, descriptor, maxSize, destination, progress, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    /// <summary>
    /// Streams a blob into <paramref name="destination"/> (seekable: a broken download starts over),
    /// hashing as it goes. Throws an integrity error when the bytes do not match the digest or the
    /// size; the caller must then discard what was written.
    /// </summary>
    public async Task CopyBlobAsync(ImageReference repository, Descriptor descriptor, long maxSize, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanSeek)
        {
            throw new ArgumentException("The destination must be seekable, so a broken download can start over.", nameof(destination));
        }

        CheckBlobSize(repository, descriptor, maxSize);
        var digest = descriptor.GetDigest();
        var start = destination.Position;
        try
        {
            await _transport.RunDownloadAsync(
                async token =>
                {
                    // The connection broke mid-body (HttpIOException) last time: start the blob again.
                    destination.Position = start;
                    await DownloadBlobAsync(repository, descriptor, digest, destination, progress, token).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OciNetworkException($"The connection to {repository.Registry} kept breaking while downloading blob {digest} of {repository.Name} ({ex.Message}); nothing stored. Try again.", ex);
        }
    }

    private static void CheckBlobSize(ImageReference repository, Descriptor descriptor, long maxSize)
    {
        if (descriptor.Size < 0 || descriptor.Size > maxSize)
        {
            throw new OciIntegrityException($"Blob {descriptor.Digest} of {repository.Name} is {descriptor.Size} bytes, over the limit of {maxSize} bytes; refused. Raise --max-module-size if this is expected.");
        }
    }

    private async Task DownloadBlobAsync(ImageReference repository, Descriptor descriptor, Digest digest, Stream destination, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(repository.Registry, [PullScope(repository)], HttpMethod.Get, $"v2/{repository.Repository}/blobs/{digest}", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new OciNotFoundException($"Blob {digest} is missing from {repository.Name}; the image in the registry is incomplete.");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await UnexpectedAsync(response, $"fetching blob {digest} of {repository.Name}", cancellationToken).ConfigureAwait(false);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var received = await VerifiedCopy.CopyAsync(body, destination, descriptor.Size, progress, cancellationToken).ConfigureAwait(false);
        if (received.Length > descriptor.Size)
        {
            throw new OciIntegrityException($"Blob {digest} of {repository.Name} is longer than the {descriptor.Size} bytes its descriptor says; refused.");
        }

        if (received.Length != descriptor.Size)
        {
            throw new OciIntegrityException($"Blob {digest} of {repository.Name} ended after {received.Length} of {descriptor.Size} bytes; refused.");
        }

        if (received.Digest != digest)
        {
            throw new OciIntegrityException($"Blob of {repository.Name} does not match its digest: expected {digest}, got {received.Digest}. Nothing stored.");
        }

        progress?.Report(received.Length);
    }

    /// <summary>True when the repository already has the blob (<c>HEAD</c>), so uploading can be skipped.</summary>
    public async Task<bool> BlobExistsAsync(ImageReference repository, Digest digest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(repository.Registry, [PushScope(repository)], HttpMethod.Head, $"v2/{repository.Repository}/blobs/{digest}", null, cancellationToken).ConfigureAwait(false);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw await UnexpectedAsync(response, $"checking blob {digest} in {repository.Name}", cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>
    /// Uploads a blob unless the repository has it: tries a cross-repository mount from
    /// <paramref name="mountFrom"/> (same registry) first, then a monolithic PUT or chunked PATCHes.
    /// </summary>
    public Task<BlobPushResult> PushBlobAsync(
        ImageReference repository,
        Digest digest,
        ReadOnlyMemory<byte> content,
        string? mountFrom = null,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default) =>
        PushBlobAsync(repository, digest, BlobSource.FromMemory(content), mountFrom, progress, cancellationToken);

    /// <inheritdoc cref="PushBlobAsync(ImageReference, Digest, ReadOnlyMemory{byte}, string?, IProgress{long}?, CancellationToken)"/>
    /// <remarks>
    /// The existence check (<c>HEAD</c>) and the start of the upload (<c>POST</c>, with the mount when
    /// asked) go out together, each on its own connection: one round trip before the upload instead of
    /// two. When the registry turns out to have the blob, the upload session the <c>POST</c> opened is
    /// cancelled (<c>DELETE</c>, best effort: registries also expire unused sessions); a mount the
    /// registry performed is reported as mounted, whichever of the two it answered first.
    /// </remarks>
    public async Task<BlobPushResult> PushBlobAsync(
        ImageReference repository,
        Digest digest,
        BlobSource content,
        string? mountFrom = null,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(content);
        var upload = StartUploadAsync(repository, digest, mountFrom, cancellationToken);
        bool exists;
        try
        {
            exists = await BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The check's failure is the one to report; the upload started beside it is dropped.
            _ = await CancelUploadAsync(repository, upload, cancellationToken).ConfigureAwait(false);
            throw;
        }

        // A mount the registry performed is reported as such even when the check, racing it, already saw
        // the mounted blob; otherwise a blob the registry has is skipped, its session cancelled.
        if (exists && !await CancelUploadAsync(repository, upload, cancellationToken).ConfigureAwait(false))
        {
            RegistryLog.BlobExists(_logger, digest.ToString(), repository.Name);
            progress?.Report(content.Length);
            return BlobPushResult.Skipped;
        }

        var location = exists ? null : await upload.ConfigureAwait(false);
        if (location is null)
        {
            RegistryLog.BlobMounted(_logger, digest.ToString(), repository.Name, mountFrom ?? string.Empty);
            progress?.Report(content.Length);
            return BlobPushResult.Mounted;
        }

        var chunkSize = _options.UploadChunkSize;
        var remainder = 0L;
        try
        {
            if (chunkSize > 0 && content.Length > chunkSize)
            {
                for (var offset = 0L; offset < content.Length; offset += chunkSize)
                {
                    var (first, count) = (offset, Math.Min(chunkSize, content.Length - offset));
                    using var patch = await SendToAsync(repository, location, HttpMethod.Patch, () =>
                    {
                        var body = new ProgressContent(content, first, count, progress);
                        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                        // The distribution spec's "start-end" form is not RFC 7233's, so skip header validation.
                        body.Headers.TryAddWithoutValidation("Content-Range", $"{first}-{first + count - 1}");
                        return body;
                    }, cancellationToken).ConfigureAwait(false);
                    if (patch.StatusCode != HttpStatusCode.Accepted || patch.Headers.Location is null)
                    {
                        throw await UnexpectedAsync(patch, $"uploading a chunk of {digest} to {repository.Name}", cancellationToken).ConfigureAwait(false);
                    }

                    location = Absolute(repository.Registry, patch.Headers.Location);
                }
            }
            else
            {
                remainder = content.Length;
            }

            using var put = await SendToAsync(repository, WithDigest(location, digest), HttpMethod.Put, () =>
            {
                var body = new ProgressContent(content, content.Length - remainder, remainder, progress);
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                return body;
            }, cancellationToken).ConfigureAwait(false);
            if (put.StatusCode != HttpStatusCode.Created)
            {
                throw await UnexpectedAsync(put, $"finishing the upload of {digest} to {repository.Name}", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OciException or HttpRequestException or IOException or OperationCanceledException)
        {
            await AbandonUploadAsync(repository, location).ConfigureAwait(false);
            throw;
        }

        return BlobPushResult.Uploaded;
    }

    /// <summary>
    /// Cancels the session of an upload that failed or was cancelled (<c>DELETE</c>), so the registry frees
    /// what it received now, not when it expires the session (Distribution keeps it a week). Best effort
    /// and bounded: the user's cancellation has fired already, and the upload's own failure is what to report.
    /// </summary>
    private async Task AbandonUploadAsync(ImageReference repository, Uri location)
    {
        using var bounded = new CancellationTokenSource(AbandonTimeout, _timeProvider);
        try
        {
            using var cancelled = await SendToAsync(repository, location, HttpMethod.Delete, EmptyContent, bounded.Token).ConfigureAwait(false);
            RegistryLog.UploadAbandoned(_logger, location.GetLeftPart(UriPartial.Path), (int)cancelled.StatusCode);
        }
        catch (Exception ex) when (ex is OciException or HttpRequestException or IOException or OperationCanceledException)
        {
            RegistryLog.UploadAbandoned(_logger, location.GetLeftPart(UriPartial.Path), 0);
        }
    }

    private static readonly TimeSpan AbandonTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Opens an upload session (or mounts the blob from <paramref name="mountFrom"/>): its location, or null when mounted.</summary>
    private async Task<Uri?> StartUploadAsync(ImageReference repository, Digest digest, string? mountFrom, CancellationToken cancellationToken)
    {
        var mounting = mountFrom is not null && mountFrom != repository.Repository;
        IReadOnlyList<string> scopes = mounting ? [PushScope(repository), $"repository:{mountFrom}:pull"] : [PushScope(repository)];
        var startPath = mounting
            ? $"v2/{repository.Repository}/blobs/uploads/?mount={digest}&from={Uri.EscapeDataString(mountFrom!)}"
            : $"v2/{repository.Repository}/blobs/uploads/";
        using var start = await SendAsync(repository.Registry, scopes, HttpMethod.Post, startPath, null, cancellationToken, EmptyContent).ConfigureAwait(false);
        if (start.StatusCode == HttpStatusCode.Created)
        {
            return null;
        }

        if (start.StatusCode != HttpStatusCode.Accepted || start.Headers.Location is null)
        {
            throw await UnexpectedAsync(start, $"starting an upload to {repository.Name}", cancellationToken).ConfigureAwait(false);
        }

        return Absolute(repository.Registry, start.Headers.Location);
    }

    /// <summary>
    /// Waits for an upload start no longer needed and cancels the session it opened; true when it was a
    /// mount the registry performed (no session). Never throws: the push's outcome is already known,
    /// and a registry that keeps the session expires it.
    /// </summary>
    private async Task<bool> CancelUploadAsync(ImageReference repository, Task<Uri?> upload, CancellationToken cancellationToken)
    {
        Uri? location;
        try
        {
            location = await upload.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OciException or HttpRequestException or IOException or OperationCanceledException)
        {
            return false;
        }

        if (location is null)
        {
            return true;
        }

        try
        {
            using var cancelled = await SendToAsync(repository, location, HttpMethod.Delete, EmptyContent, cancellationToken).ConfigureAwait(false);
            RegistryLog.UploadCancelled(_logger, location.GetLeftPart(UriPartial.Path), (int)cancelled.StatusCode);
        }
        catch (Exception ex) when (ex is OciException or HttpRequestException or IOException or OperationCanceledException)
        {
            RegistryLog.UploadCancelled(_logger, location.GetLeftPart(UriPartial.Path), 0);
        }

        return false;
    }

    /// <summary>Uploads a manifest under the reference's tag (or digest); returns its digest.</summary>
    public async Task<Digest> PushManifestAsync(ImageReference reference, string mediaType, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default)
    {
        if (manifest.Length > RegistryLimits.MaxManifestSize)
        {
            throw new OciUsageException($"The manifest is {manifest.Length} bytes, over the 4 MiB limit registries accept.");
        }

        var digest = Digest.Compute(manifest.Span);
        if (reference.Digest is { } pinned && pinned != digest)
        {
            throw new OciUsageException($"Cannot push to {reference}: the image's manifest digest is {digest}. Push by tag instead.");
        }

        using var response = await SendAsync(reference.Registry, [PushScope(reference)], HttpMethod.Put, ManifestPath(reference), null, cancellationToken, () =>
        {
            var body = new ReadOnlyMemoryContent(manifest);
            body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return body;
        }).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await UnexpectedAsync(response, $"pushing the manifest of {reference}", cancellationToken).ConfigureAwait(false);
        }

        return digest;
    }

    /// <summary>Tags of a repository (<c>GET /v2/&lt;name&gt;/tags/list</c>, following pagination).</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(string registry, string repository, CancellationToken cancellationToken = default)
    {
        var tags = new List<string>();
        var scope = $"repository:{repository}:pull";
        var what = $"the tags of {registry}/{repository}";
        await foreach (var page in PagesAsync(registry, scope, $"v2/{repository}/tags/list?n=1000", what, cancellationToken).ConfigureAwait(false))
        {
            tags.AddRange(ParseListing(page, OciJsonContext.Default.TagList, what)?.Tags ?? []);
        }

        return [.. tags.Where(t => !string.IsNullOrEmpty(t)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Repositories of a registry (<c>GET /v2/_catalog</c>, following pagination).</summary>
    public async Task<IReadOnlyList<string>> ListRepositoriesAsync(string registry, CancellationToken cancellationToken = default)
    {
        var repositories = new List<string>();
        var what = $"the repositories of {registry}";
        await foreach (var page in PagesAsync(registry, "registry:catalog:*", "v2/_catalog?n=1000", what, cancellationToken).ConfigureAwait(false))
        {
            repositories.AddRange(ParseListing(page, OciJsonContext.Default.Catalog, what)?.Repositories ?? []);
        }

        return [.. repositories.Where(r => !string.IsNullOrEmpty(r)).Distinct(StringComparer.Ordinal)];
    }

    public void Dispose() => _transport.Dispose();

    /// <summary>A listing page from the registry: anything but the distribution API's JSON is an integrity error, not a crash.</summary>
    private static T? ParseListing<T>(byte[] page, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(page, type);
        }
        catch (JsonException ex)
        {
            throw new OciIntegrityException($"The registry sent {what} in a form the distribution API does not define ({ex.Message}); nothing listed.", ex);
        }
    }

    private async IAsyncEnumerable<byte[]> PagesAsync(string registry, string scope, string firstPath, string what, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? path = firstPath;
        // A next link back to a page already read would list it again, up to the page limit.
        var visited = new HashSet<string>(StringComparer.Ordinal);
        for (var pages = 0; path is not null && pages < 1000 && visited.Add(path); pages++)
        {
            using var response = await SendAsync(registry, [scope], HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new OciNotFoundException($"Registry {registry} has no {what.Replace("the ", string.Empty, StringComparison.Ordinal)} (404).");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await UnexpectedAsync(response, $"listing {what}", cancellationToken).ConfigureAwait(false);
            }

            yield return await RegistryTransport.ReadBoundedAsync(response.Content, RegistryLimits.MaxManifestSize, what, cancellationToken).ConfigureAwait(false);
            path = NextLink(response);
        }
    }

    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links)
        {
            var start = link.IndexOf('<', StringComparison.Ordinal);
            var end = link.IndexOf('>', StringComparison.Ordinal);
            if (start >= 0 && end > start && link.Contains("rel=\"next\"", StringComparison.Ordinal))
            {
                return link[(start + 1)..end].TrimStart('/');
            }
        }

        return null;
    }

    private static readonly string[] AcceptManifests = MediaTypes.AcceptedManifests;

    private static HttpContent EmptyContent() => new ByteArrayContent([]);

    private Task<HttpResponseMessage> SendAsync(
        string registry,
        IReadOnlyList<string> scopes,
        HttpMethod method,
        string path,
        string[]? accept,
        CancellationToken cancellationToken,
        Func<HttpContent>? content = null)
    {
        var uri = new Uri(_transport.BaseUri(registry), path);
        return _transport.SendAsync(registry, scopes, () => CreateRequest(method, uri, accept, content), cancellationToken);
    }

    private Task<HttpResponseMessage> SendToAsync(ImageReference repository, Uri uri, HttpMethod method, Func<HttpContent> content, CancellationToken cancellationToken) =>
        _transport.SendAsync(repository.Registry, [PushScope(repository)], () => CreateRequest(method, uri, null, content), cancellationToken);

    private static HttpRequestMessage CreateRequest(HttpMethod method, Uri uri, string[]? accept, Func<HttpContent>? content)
    {
        var request = new HttpRequestMessage(method, uri) { Content = content?.Invoke() };
        foreach (var mediaType in accept ?? [])
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }

        return request;
    }

    /// <summary>An upload location from the registry, made absolute; only http and https, as for redirects.</summary>
    private Uri Absolute(string registry, Uri location)
    {
        var home = _transport.BaseUri(registry);
        var absolute = location.IsAbsoluteUri ? location : new Uri(home, location);
        if (RegistryTransport.IsDowngrade(home, absolute))
        {
            throw RegistryTransport.Downgrade(home, absolute, "answered over HTTPS with an upload location on");
        }

        return absolute.Scheme is "http" or "https"
            ? absolute
            : throw new OciNetworkException($"Registry {registry} sent an upload location with the unsupported URL scheme '{absolute.Scheme}'; only http and https are followed. Nothing was pushed.");
    }

    private static Uri WithDigest(Uri location, Digest digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : string.Empty) + "digest=" + Uri.EscapeDataString(digest.ToString());
        return builder.Uri;
    }

    private static string ManifestPath(ImageReference reference) => $"v2/{reference.Repository}/manifests/{reference.Identifier}";

    private static string PullScope(ImageReference reference) => $"repository:{reference.Repository}:pull";

    private static string PushScope(ImageReference reference) => $"repository:{reference.Repository}:pull,push";

    private static OciNotFoundException ManifestNotFound(ImageReference reference) =>
        new($"Image {reference} was not found in registry {reference.Registry}. Check the name and tag ('wasme list --remote {reference.Name}').");

    private static JsonDocument ParseJson(byte[] bytes, ImageReference reference)
    {
        try
        {
            var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                // 'null', '[]' or a number is valid JSON but no manifest; reading its fields would throw.
                var kind = document.RootElement.ValueKind;
                document.Dispose();
                throw new OciIntegrityException($"The manifest of {reference} is a JSON {kind}, not an object; the registry serves something that is no image manifest. Nothing stored.");
            }

            return document;
        }
        catch (JsonException ex)
        {
            throw new OciIntegrityException($"The manifest of {reference} is not valid JSON: {ex.Message}. Nothing stored.", ex);
        }
    }

    private static async Task<OciException> UnexpectedAsync(HttpResponseMessage response, string action, CancellationToken cancellationToken)
    {
        var detail = await RegistryTransport.ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (detail.Contains("DIGEST_INVALID", StringComparison.Ordinal))
        {
            // Pushes read layers from the store without hashing them first; this is where a corrupt store shows.
            return new OciIntegrityException($"The registry found that the uploaded content does not match its digest while {action} (HTTP {status}{detail}). The local store may be corrupt: remove the image with 'wasme rmi' and pull or build it again.");
        }

        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new OciNotFoundException($"Not found while {action} (HTTP 404{detail})."),
            HttpStatusCode.UnsupportedMediaType => new OciUsageException($"The registry refused the media type while {action} (HTTP 415{detail}). Try 'wasme push --format compat', which every registry accepts."),
            HttpStatusCode.RequestEntityTooLarge => new OciUsageException($"The registry refused the size while {action} (HTTP 413{detail})."),
            _ when status >= 400 && status < 500 => new OciUsageException($"The registry refused the request while {action} (HTTP {status}{detail})."),
            _ => new OciNetworkException($"Unexpected answer while {action} (HTTP {status}{detail})."),
        };
    }
}

/// <summary>A manifest or index exactly as the registry sent it, with its verified descriptor.</summary>
public sealed record ManifestContent(ReadOnlyMemory<byte> Bytes, Descriptor Descriptor)
{
    public bool IsIndex => Descriptor.MediaType is MediaTypes.OciIndex or MediaTypes.DockerManifestList;
}

/// <summary>What pushing a blob did.</summary>
public enum BlobPushResult
{
    Uploaded,
    Skipped,
    Mounted,
}
