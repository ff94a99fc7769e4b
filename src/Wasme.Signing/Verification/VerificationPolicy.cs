using System.Text.Json;
using System.Text.RegularExpressions;
using Wasme.Oci.Errors;
using Wasme.Signing.Bundles;

namespace Wasme.Signing.Verification;

/// <summary>
/// Who may sign an image: any of <see cref="PublicKeys"/> (cosign key pairs), or a Fulcio
/// certificate for any of <see cref="Identities"/> that chains to <see cref="TrustedRoot"/> and was
/// logged in one of its Rekor logs. One matching signature is enough.
/// </summary>
public sealed record VerificationPolicy
{
    /// <summary>PEM <c>PUBLIC KEY</c> blocks (ECDSA), as <c>wasme generate-key-pair</c> and cosign write.</summary>
    public IReadOnlyList<string> PublicKeys { get; init; } = [];

    public IReadOnlyList<KeylessIdentity> Identities { get; init; } = [];

    /// <summary>Required with <see cref="Identities"/>; parse one with <see cref="ParseTrustedRoot"/>.</summary>
    public TrustedRoot? TrustedRoot { get; init; }

    public bool IsEmpty => PublicKeys.Count == 0 && Identities.Count == 0;

    /// <summary>Throws a usage error naming what is missing or malformed.</summary>
    public void Validate()
    {
        if (IsEmpty)
        {
            throw new OciUsageException("A verification policy needs at least one public key or one keyless identity (issuer and subject).");
        }

        if (Identities.Count > 0 && (TrustedRoot?.CertificateAuthorities is not { Count: > 0 } || TrustedRoot.Tlogs is not { Count: > 0 }))
        {
            throw new OciUsageException("Keyless verification needs a trusted root with at least one certificate authority (Fulcio) and one transparency log (Rekor): give it with --trust-root FILE (Sigstore's trusted_root.json).");
        }

        if (Identities.Count > 0 && (TrustedRoot!.Tlogs!.Any(l => l is null) || TrustedRoot.CertificateAuthorities!.Any(c => c is null)))
        {
            throw new OciUsageException("The trusted root lists a transparency log or certificate authority as null; check that the file is Sigstore's trusted_root.json.");
        }

        foreach (var identity in Identities)
        {
            identity.Validate();
        }

        foreach (var authority in Identities.Count > 0 ? TrustedRoot!.CertificateAuthorities! : [])
        {
            CheckCertificateAuthority(authority);
        }
    }

    // Read once here so a damaged trusted root is one usage error naming the authority, not a failure inside a chain build.
    private static void CheckCertificateAuthority(CertificateAuthority authority)
    {
        var name = $"The trusted root's certificate authority {authority.Uri ?? "(no uri)"}";
        if (authority.CertChain?.Certificates is not { Count: > 0 } certificates)
        {
            throw new OciUsageException($"{name} has no certificates in its certChain; check that the file is Sigstore's trusted_root.json.");
        }

        foreach (var certificate in certificates)
        {
            try
            {
                using var _ = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.RawBytes);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                throw new OciUsageException($"{name} holds a certificate that cannot be read ({ex.Message}); check that the file is Sigstore's trusted_root.json.", ex);
            }
        }
    }

    /// <summary>
    /// The most a <c>trusted_root.json</c> is read up to: Sigstore's public one is about 10 KiB, so a file past 4 MiB is
    /// the wrong file (or a device that never ends).
    /// </summary>
    public const int MaxTrustedRootSize = 4 * 1024 * 1024;

    /// <summary>Parses Sigstore's <c>trusted_root.json</c> (protobuf JSON of <c>TrustedRoot</c>).</summary>
    public static TrustedRoot ParseTrustedRoot(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize(json, SigningJsonContext.Default.TrustedRoot)
                ?? throw new OciUsageException($"{source} is not a Sigstore trusted root (JSON null).");
        }
        catch (JsonException ex)
        {
            throw new OciUsageException($"{source} is not a Sigstore trusted root: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// A keyless signer: the OIDC issuer that vouched for them (exact, or a regular expression) and
/// their subject as Fulcio wrote it into the certificate (email or URI; exact, or a regular expression).
/// </summary>
public sealed record KeylessIdentity
{
    public string? Issuer { get; init; }

    public string? IssuerRegex { get; init; }

    public string? Subject { get; init; }

    public string? SubjectRegex { get; init; }

    public void Validate()
    {
        if (Issuer is null == IssuerRegex is null)
        {
            throw new OciUsageException("A keyless identity needs exactly one of an issuer (--certificate-oidc-issuer) or an issuer pattern (--certificate-oidc-issuer-regexp).");
        }

        if (Subject is null == SubjectRegex is null)
        {
            throw new OciUsageException("A keyless identity needs exactly one of a subject (--certificate-identity) or a subject pattern (--certificate-identity-regexp).");
        }

        foreach (var pattern in new[] { IssuerRegex, SubjectRegex }.OfType<string>())
        {
            try
            {
                _ = new Regex(pattern, PatternOptions);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                throw new OciUsageException($"'{pattern}' is not a valid regular expression: {ex.Message} (patterns take RE2's syntax, as cosign's: no lookarounds, backreferences or atomic groups)", ex);
            }
        }
    }

    public bool Matches(string issuer, IEnumerable<string> subjects) =>
        (Issuer is not null ? Issuer == issuer : FullMatch(IssuerRegex!, issuer))
        && subjects.Any(s => Subject is not null ? Subject == s : FullMatch(SubjectRegex!, s));

    /// <summary>
    /// When a pattern of this identity matches a part of the signer's value but not all of it (a pattern written for cosign,
    /// which matches anywhere, such as a prefix), what to change; null otherwise.
    /// </summary>
    public string? ExplainPartialMatch(string issuer, IEnumerable<string> subjects)
    {
        if (SubjectRegex is not null && subjects.FirstOrDefault(s => !FullMatch(SubjectRegex, s) && PartMatch(SubjectRegex, s)) is { } subject)
        {
            return Partial("subject", SubjectRegex, subject);
        }

        return IssuerRegex is not null && !FullMatch(IssuerRegex, issuer) && PartMatch(IssuerRegex, issuer) ? Partial("issuer", IssuerRegex, issuer) : null;
    }

    private static string Partial(string what, string pattern, string value) =>
        $"the {what} pattern /{pattern}/ matches only part of '{value}': wasme matches a pattern against the whole value, to its last character (cosign anywhere in it), so spell out the rest, e.g. end the pattern with .* to accept whatever follows";

    public override string ToString() => $"{Subject ?? $"/{SubjectRegex}/"} from {Issuer ?? $"/{IssuerRegex}/"}";

    // cosign anchors neither end of its patterns; anchoring both is the safer reading of "identity". \z, not $:
    // $ also matches before a final newline, and "subject\n" is another identity than "subject".
    private static bool FullMatch(string pattern, string value) => Regex.IsMatch(value, $"\\A(?:{pattern})\\z", PatternOptions);

    private static bool PartMatch(string pattern, string value) => Regex.IsMatch(value, pattern, PatternOptions);

    // Matching takes time linear in the value whatever the pattern, so an identity a signer chose (a repository or branch
    // name in a workflow URI) cannot make a pattern with nested repetition backtrack for ever. RE2's constructs only, as
    // cosign's Go patterns: whatever works there works here.
    private const RegexOptions PatternOptions = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
}
