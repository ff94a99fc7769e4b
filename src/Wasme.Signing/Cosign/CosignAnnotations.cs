namespace Wasme.Signing.Cosign;

/// <summary>Media type and annotation keys of a cosign signature layer (the <c>sha256-&lt;hex&gt;.sig</c> manifest).</summary>
public static class CosignAnnotations
{
    public const string SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>Base64 ASN.1 (DER) ECDSA signature over the layer's payload.</summary>
    public const string Signature = "dev.cosignproject.cosign/signature";

    /// <summary>PEM of the Fulcio signing certificate (keyless signatures).</summary>
    public const string Certificate = "dev.sigstore.cosign/certificate";

    /// <summary>PEM of the certificate chain above it, root last.</summary>
    public const string Chain = "dev.sigstore.cosign/chain";

    /// <summary>JSON of the Rekor entry and its signed entry timestamp.</summary>
    public const string RekorBundle = "dev.sigstore.cosign/bundle";
}
