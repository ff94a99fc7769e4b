namespace Wasme.Oci.Errors;

/// <summary>
/// Every failure Wasme.Oci reports on purpose. <see cref="Kind"/> says what class it is; the message
/// names the problem and, where there is one, the fix. Messages never contain credentials.
/// </summary>
public class OciException : Exception
{
    public OciException(OciErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public OciErrorKind Kind { get; }
}

/// <summary>A reference, digest, runtime config or option is malformed.</summary>
public sealed class OciUsageException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.Usage, message, innerException);

/// <summary>The image, tag, blob or repository does not exist (locally or in the registry).</summary>
public sealed class OciNotFoundException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.NotFound, message, innerException);

/// <summary>Authentication or authorization failed.</summary>
public sealed class OciAuthException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.Auth, message, innerException);

/// <summary>Transport failure or a registry that kept answering 5xx.</summary>
public sealed class OciNetworkException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.Network, message, innerException);

/// <summary>Content did not match its digest, or exceeded a size bound. Nothing was stored.</summary>
public sealed class OciIntegrityException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.Integrity, message, innerException);

/// <summary>The local store's <c>index.json</c> cannot be used; the message names the file and how to repair it.</summary>
public sealed class OciDamagedStoreException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.DamagedStore, message, innerException);

/// <summary>Another process held a lock wasme waits for (the store's, the Docker config's) past the longest wait; the message names the file and how to find the holder.</summary>
public sealed class OciLockHeldException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.LockHeld, message, innerException);

/// <summary>The file system refuses a file wasme keeps (the local store, the Docker config); the message names the file and the fix.</summary>
public sealed class OciFileAccessException(string message, Exception? innerException = null)
    : OciException(OciErrorKind.FileAccess, message, innerException);
