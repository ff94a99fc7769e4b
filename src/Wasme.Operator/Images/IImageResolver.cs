using Wasme.Istio.Translation;
using Wasme.Oci.Registry.Auth;

namespace Wasme.Operator.Images;

/// <summary>Resolves an image reference to its manifest digest and reads the facts the translation needs.</summary>
public interface IImageResolver
{
    /// <exception cref="ImageResolutionException">The image cannot be resolved; <see cref="ImageResolutionException.Failure"/> says why.</exception>
    Task<ImageFacts> ResolveAsync(ImageRequest request, CancellationToken cancellationToken);
}

/// <summary>One resolution: the reference as written in the spec, how to authenticate, and transport choices.</summary>
public sealed record ImageRequest(string Image, ICredentialProvider Credentials, bool PlainHttp, bool InsecureSkipVerify);
