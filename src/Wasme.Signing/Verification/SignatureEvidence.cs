using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Wasme.Signing.Bundles;
using Wasme.Signing.Cosign;
using Wasme.Signing.Transparency;

namespace Wasme.Signing.Verification;

/// <summary>
/// One signature in one shape, whether it came from a <c>.sig</c> layer or a Sigstore bundle: the
/// signed payload, the signature, and what vouches for the signer.
/// </summary>
internal sealed record SignatureEvidence(
    string Source,
    ReadOnlyMemory<byte> Payload,
    byte[]? Signature,
    string? KeyHint,
    X509Certificate2? Certificate,
    IReadOnlyList<X509Certificate2> Chain,
    RekorEntry? Tlog,
    string? Problem)
{
    /// <summary>wasme's own annotation on a .sig layer: the id of the key that signed, so a refusal can tell a changed payload from a foreign key.</summary>
    public const string KeyIdAnnotation = "dev.wasme/key-id";

    public static SignatureEvidence FromCosign(CosignSignature signature, int index)
    {
        var source = $".sig layer {index + 1}";
        var problems = new List<string>();
        if (signature.Unreadable is { } unreadable)
        {
            problems.Add(unreadable);
        }

        var bytes = Base64(signature.SignatureBase64, "signature annotation", problems);
        X509Certificate2? certificate = null;
        var chain = new List<X509Certificate2>();
        try
        {
            if (signature.CertificatePem is { } pem)
            {
                certificate = X509Certificate2.CreateFromPem(pem);
            }

            if (signature.ChainPem is { } chainPem)
            {
                var collection = new X509Certificate2Collection();
                collection.ImportFromPem(chainPem);
                chain.AddRange(collection);
            }
        }
        catch (CryptographicException ex)
        {
            problems.Add($"its certificate cannot be read ({ex.Message})");
        }

        RekorEntry? tlog = null;
        if (signature.RekorBundleJson is { } rekor)
        {
            try
            {
                tlog = JsonSerializer.Deserialize(rekor, SigningJsonContext.Default.CosignRekorBundle) is { } parsed ? RekorEntry.FromCosignAnnotation(parsed) : null;
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                problems.Add($"its Rekor bundle annotation cannot be read ({ex.Message})");
            }
        }

        return new SignatureEvidence(source, signature.Payload, bytes, signature.Annotations.GetValueOrDefault(KeyIdAnnotation), certificate, chain, tlog, Join(problems));
    }

    /// <summary>A bundle's message signature over <paramref name="payload"/> (found by the bundle's message digest).</summary>
    public static SignatureEvidence FromBundle(SigstoreBundle bundle, ReadOnlyMemory<byte> payload, string source)
    {
        var problems = new List<string>();
        var material = bundle.VerificationMaterial;
        X509Certificate2? certificate = null;
        var chain = new List<X509Certificate2>();
        try
        {
            if (material.Certificate is { } single)
            {
                certificate = X509CertificateLoader.LoadCertificate(single.RawBytes);
            }
            else if (material.X509CertificateChain is { Certificates.Count: > 0 } certificates)
            {
                certificate = X509CertificateLoader.LoadCertificate(certificates.Certificates[0].RawBytes);
                chain.AddRange(certificates.Certificates.Skip(1).Select(c => X509CertificateLoader.LoadCertificate(c.RawBytes)));
            }
        }
        catch (CryptographicException ex)
        {
            problems.Add($"its certificate cannot be read ({ex.Message})");
        }

        RekorEntry? tlog = null;
        try
        {
            tlog = material.TlogEntries is { Count: > 0 } entries ? RekorEntry.FromBundle(entries[0]) : null;
        }
        catch (FormatException ex)
        {
            problems.Add($"its transparency log entry cannot be read ({ex.Message})");
        }

        return new SignatureEvidence(source, payload, bundle.MessageSignature?.Signature, material.PublicKey?.Hint, certificate, chain, tlog, Join(problems));
    }

    private static byte[]? Base64(string? value, string what, List<string> problems)
    {
        if (value is null)
        {
            problems.Add($"it has no {what}");
            return null;
        }

        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            problems.Add($"its {what} is not base64");
            return null;
        }
    }

    private static string? Join(List<string> problems) => problems.Count == 0 ? null : string.Join("; ", problems);
}
