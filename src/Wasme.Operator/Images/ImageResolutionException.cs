namespace Wasme.Operator.Images;

/// <summary>Why an image could not be resolved; each becomes a condition reason on the FilterDeployment.</summary>
public enum ImageResolutionFailure
{
    /// <summary>The reference is not a valid image reference.</summary>
    InvalidReference,

    /// <summary>The pull secret named in the spec does not exist or has no usable credentials.</summary>
    PullSecretInvalid,

    /// <summary>The registry has no such repository, tag or digest.</summary>
    ImageNotFound,

    /// <summary>The registry refused the credentials (or asked for some and none were given).</summary>
    Unauthorized,

    /// <summary>The registry could not be reached or failed.</summary>
    RegistryUnavailable,

    /// <summary>The image is not a Wasm filter image, or its content does not match its digest.</summary>
    InvalidImage,
}

public sealed class ImageResolutionException : Exception
{
    public ImageResolutionException(ImageResolutionFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public ImageResolutionFailure Failure { get; }

    /// <summary>Retrying later can help (registry down), as opposed to a spec that must change first.</summary>
    public bool IsTransient => Failure is ImageResolutionFailure.RegistryUnavailable or ImageResolutionFailure.ImageNotFound or ImageResolutionFailure.PullSecretInvalid or ImageResolutionFailure.Unauthorized;
}
