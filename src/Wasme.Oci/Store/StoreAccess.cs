using Wasme.Oci.Errors;

namespace Wasme.Oci.Store;

/// <summary>
/// Turns the file system refusing the store (a path that is a file, no permission, a lock file that
/// cannot be opened, a full disk) into one error that names the store and the fix, instead of a crash.
/// Only for the store's own file operations: a download's broken connection is an IOException too.
/// </summary>
internal static class StoreAccess
{
    public static bool IsRefusal(Exception exception) => exception is IOException or UnauthorizedAccessException;

    public static OciException Refused(string root, Exception exception) =>
        File.Exists(root)
            ? IsAFile(root, exception)
            : new OciFileAccessException(
                $"Cannot use the local store {root}: {exception.Message.TrimEnd('.', ' ')}. " +
                "Check that it is a directory you may read and write, or choose another with --store or WASME_STORE.",
                exception);

    /// <summary>A store path that names a file would otherwise read as an empty store.</summary>
    public static void ThrowIfFile(string root)
    {
        if (File.Exists(root))
        {
            throw IsAFile(root, null);
        }
    }

    private static OciUsageException IsAFile(string root, Exception? exception) =>
        new($"The local store {root} is a file, not a directory. Point --store or WASME_STORE at a directory (wasme creates it when missing).", exception);
}
