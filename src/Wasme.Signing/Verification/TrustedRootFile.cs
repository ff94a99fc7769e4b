using Wasme.Input;
using Wasme.Oci.Errors;
using Wasme.Signing.Bundles;

namespace Wasme.Signing.Verification;

/// <summary>
/// Reads a Sigstore <c>trusted_root.json</c> the daemons are pointed at, through <see cref="InputFile"/>: at most
/// <see cref="VerificationPolicy.MaxTrustedRootSize"/>, so a device such as <c>/dev/zero</c>, which reports 0 bytes and
/// never ends, is refused instead of taking all the memory.
/// </summary>
public static class TrustedRootFile
{
    /// <exception cref="OciUsageException">The file is a directory, too large, not UTF-8 or not a trusted root; the message starts with <paramref name="option"/>.</exception>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    public static async Task<TrustedRoot> ReadAsync(string path, string option, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await InputFile.ReadTextAsync(path, VerificationPolicy.MaxTrustedRootSize, cancellationToken).ConfigureAwait(false);
        }
        catch (InputFileException ex)
        {
            throw new OciUsageException($"{option}: {ex.Message}; mount Sigstore's trusted_root.json (docs/signing.md)", ex);
        }

        return VerificationPolicy.ParseTrustedRoot(text, $"{option} {path}");
    }
}
