namespace Wasme.Signing.Verification;

/// <summary>Why an image failed verification; stable names for conditions, events and exit messages.</summary>
public enum VerificationFailureReason
{
    /// <summary>No signature is attached to the image (no <c>sha256-&lt;hex&gt;.sig</c> tag) and no bundle was given.</summary>
    NoSignature,
    /// <summary>A signature exists but none of the trusted keys made it.</summary>
    WrongKey,
    /// <summary>The signer is known (the key the signature names, or a certificate logged with this signature), but the signed payload was changed after signing.</summary>
    TamperedPayload,
    /// <summary>A valid signature, for another manifest digest.</summary>
    DigestMismatch,
    /// <summary>A valid keyless signature by someone the policy does not name.</summary>
    IdentityMismatch,
    /// <summary>The signing certificate was not valid when the signature was logged.</summary>
    CertificateExpired,
    /// <summary>The signing certificate does not chain to a certificate authority of the trusted root.</summary>
    UntrustedCertificate,
    /// <summary>The Rekor entry is missing, not signed by a trusted log, or about another signature.</summary>
    BadTransparencyLogEntry,
    /// <summary>The signature or its payload cannot be read.</summary>
    MalformedSignature,
    /// <summary>
    /// The signature does not verify with the key of the certificate it carries, and no logged record says the payload
    /// alone changed: the certificate was swapped for another, or the signature was replaced.
    /// </summary>
    InvalidSignature,
}
