using Wasme.Istio.Translation;
using Wasme.Operator.Images;
using Wasme.Signing.Verification;

namespace Wasme.Operator.Verification;

/// <summary>Checks the signatures attached to a resolved image against a policy.</summary>
public interface IImageSignatureVerifier
{
    /// <exception cref="ImageResolutionException">The signatures cannot be read (registry unreachable, unauthorized).</exception>
    Task<VerificationResult> VerifyAsync(ImageRequest request, ImageFacts image, VerificationPolicy policy, CancellationToken cancellationToken);
}
