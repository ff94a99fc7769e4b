using Microsoft.Extensions.Logging;
using Wasme.Istio.Translation;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Operator.Images;
using Wasme.Signing.Verification;

namespace Wasme.Operator.Verification;

/// <summary>Verifies with Wasme.Signing against the registry the image came from, with the same credentials and transport.</summary>
public sealed class OciImageSignatureVerifier(ILoggerFactory loggerFactory, TimeProvider timeProvider) : IImageSignatureVerifier
{
    public async Task<VerificationResult> VerifyAsync(ImageRequest request, ImageFacts image, VerificationPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        var options = new RegistryClientOptions { PlainHttp = request.PlainHttp, Insecure = request.InsecureSkipVerify };
        using var client = new RegistryClient(options, request.Credentials, loggerFactory.CreateLogger<RegistryClient>(), timeProvider);
        try
        {
            return await new ImageVerifier(client).VerifyAsync(ImageReference.Parse(image.Repository), Digest.Parse(image.ManifestDigest), policy, cancellationToken).ConfigureAwait(false);
        }
        catch (OciException ex) when (ex.Kind is not OciErrorKind.Usage)
        {
            throw new ImageResolutionException(ex.Kind switch
            {
                OciErrorKind.Auth => ImageResolutionFailure.Unauthorized,
                OciErrorKind.Network => ImageResolutionFailure.RegistryUnavailable,
                _ => ImageResolutionFailure.InvalidImage,
            }, $"cannot read the signatures of {image.Repository}@{image.ManifestDigest}: {ex.Message}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ImageResolutionException(ImageResolutionFailure.RegistryUnavailable, $"cannot read the signatures of {image.Repository}@{image.ManifestDigest}: {ex.Message}", ex);
        }
    }
}
