using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Wasme.Istio.Translation;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Transfer;

namespace Wasme.Operator.Images;

/// <summary>
/// Resolves images with Wasme.Oci's registry client: a <c>HEAD</c> turns the tag into a digest, and only a digest
/// not seen before is fetched (manifest and blobs, each verified) to learn the module sha256, ABI and root ids.
/// Re-resolving an unchanged tag on a schedule therefore costs one small request.
/// </summary>
public sealed class OciImageResolver : IImageResolver
{
    private readonly ConcurrentDictionary<string, ImageFacts> _factsByDigest = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxModuleSize;

    // maxModuleSize: the largest module layer read from a registry (--max-module-size).
    public OciImageResolver(ILoggerFactory loggerFactory, TimeProvider timeProvider, long maxModuleSize = Oci.RegistryLimits.DefaultMaxModuleSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxModuleSize);
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _maxModuleSize = maxModuleSize;
    }

    public async Task<ImageFacts> ResolveAsync(ImageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ImageReference.TryParse(request.Image, out var reference))
        {
            throw new ImageResolutionException(ImageResolutionFailure.InvalidReference, $"'{request.Image}' is not an image reference; write registry/repository:tag or registry/repository@sha256:<hex>.");
        }

        var options = new RegistryClientOptions { PlainHttp = request.PlainHttp, Insecure = request.InsecureSkipVerify, MaxModuleSize = _maxModuleSize };
        using var client = new RegistryClient(options, request.Credentials, _loggerFactory.CreateLogger<RegistryClient>(), _timeProvider);
        try
        {
            var descriptor = await client.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
            var key = $"{reference.Name}@{descriptor.Digest}";
            if (_factsByDigest.TryGetValue(key, out var known))
            {
                return known;
            }

            var image = await new ImagePuller(client).ReadModuleAsync(reference.WithDigest(Digest.Parse(descriptor.Digest)), cancellationToken).ConfigureAwait(false);
            var facts = new ImageFacts(reference.Name, image.ManifestDigest.ToString(), image.ModuleDigest.Hex, image.RuntimeConfig.AbiVersions, image.RuntimeConfig.RootIds);
            _factsByDigest[key] = facts;
            return facts;
        }
        catch (OciException ex)
        {
            throw new ImageResolutionException(ex.Kind switch
            {
                OciErrorKind.NotFound => ImageResolutionFailure.ImageNotFound,
                OciErrorKind.Auth => ImageResolutionFailure.Unauthorized,
                OciErrorKind.Network => ImageResolutionFailure.RegistryUnavailable,
                OciErrorKind.Integrity => ImageResolutionFailure.InvalidImage,
                _ => ImageResolutionFailure.InvalidImage,
            }, ex.Message, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ImageResolutionException(ImageResolutionFailure.RegistryUnavailable, $"Cannot reach registry {reference.Registry}: {ex.Message}", ex);
        }
    }
}
