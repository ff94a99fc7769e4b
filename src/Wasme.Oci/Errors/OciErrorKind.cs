namespace Wasme.Oci.Errors;

/// <summary>The class of an OCI failure; the CLI maps each to a distinct exit code.</summary>
public enum OciErrorKind
{
    /// <summary>Bad reference, digest, config or argument; the message names the fix.</summary>
    Usage,
    /// <summary>Image, tag, blob or repository does not exist.</summary>
    NotFound,
    /// <summary>The registry refused our credentials, or wanted some and we had none.</summary>
    Auth,
    /// <summary>Could not reach the registry, or it kept failing after retries.</summary>
    Network,
    /// <summary>Content did not match its digest or exceeded a size bound.</summary>
    Integrity,
    /// <summary>The local store's own files (its <c>index.json</c>) are damaged; the message names the file and the repair.</summary>
    DamagedStore,
    /// <summary>The file system refuses a file wasme keeps (the local store, the Docker config): no permission, a lock file that cannot be opened, a directory where a file belongs.</summary>
    FileAccess,
    /// <summary>Another process held a lock file (the store's, the Docker config's) past the longest wait: stopped or hung.</summary>
    LockHeld,
}
