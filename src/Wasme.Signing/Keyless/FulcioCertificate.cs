using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Wasme.Signing.Bundles;

namespace Wasme.Signing.Keyless;

/// <summary>What a Fulcio certificate says about its holder, and whether it chains to a trusted CA.</summary>
internal static class FulcioCertificate
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string IssuerV2Oid = "1.3.6.1.4.1.57264.1.8";
    private const string IssuerV1Oid = "1.3.6.1.4.1.57264.1.1";
    private const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";

    /// <summary>The OIDC issuer Fulcio recorded (the DER UTF8String extension, or the legacy raw one).</summary>
    public static string? Issuer(X509Certificate2 certificate)
    {
        if (certificate.Extensions[IssuerV2Oid] is { } v2)
        {
            try
            {
                return new AsnReader(v2.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String);
            }
            catch (AsnContentException)
            {
                return null;
            }
        }

        return certificate.Extensions[IssuerV1Oid] is { } v1 ? Encoding.UTF8.GetString(v1.RawData) : null;
    }

    /// <summary>Email addresses and URIs of the subject alternative name (Fulcio's subject).</summary>
    public static IReadOnlyList<string> Subjects(X509Certificate2 certificate)
    {
        var subjects = new List<string>();
        if (certificate.Extensions[SubjectAltNameOid] is not { } san)
        {
            return subjects;
        }

        try
        {
            var names = new AsnReader(san.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 1 or 6)
                {
                    // rfc822Name [1] and uniformResourceIdentifier [6] are implicitly tagged IA5Strings.
                    subjects.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed SAN names nobody; the identity check then refuses the certificate.
        }

        return subjects;
    }

    /// <summary>
    /// Builds the chain to a root of the trusted root's certificate authorities, as it stood at
    /// <paramref name="at"/> (when Rekor logged the signature). Null when it chains; otherwise why not.
    /// </summary>
    public static string? CheckChain(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> presented, TrustedRoot trustedRoot, DateTimeOffset at)
    {
        var authorities = (trustedRoot.CertificateAuthorities ?? []).Where(ca => ca.ValidFor?.Contains(at) ?? true).ToList();
        if (authorities.Count == 0)
        {
            return $"no certificate authority of the trusted root was valid at {at:u}";
        }

        var failures = new List<string>();
        foreach (var authority in authorities)
        {
            var certificates = authority.CertChain.Certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawBytes)).ToList();
            try
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                // Offline: an issuer missing from the chain is not fetched from the URL the certificate names (its AIA),
                // which whoever logged the certificate chose; the call would leave from the operator's or cache's network.
                chain.ChainPolicy.DisableCertificateDownloads = true;
                chain.ChainPolicy.VerificationTime = at.UtcDateTime;
                chain.ChainPolicy.VerificationTimeIgnored = false;
                chain.ChainPolicy.ApplicationPolicy.Add(new Oid(CodeSigningOid));
                // The trusted root's own chain: its last certificate is the root, the others intermediates.
                chain.ChainPolicy.CustomTrustStore.Add(certificates[^1]);
                chain.ChainPolicy.ExtraStore.AddRange(certificates.Take(certificates.Count - 1).ToArray());
                // Intermediates the signature presented help build a path but are never trusted themselves.
                chain.ChainPolicy.ExtraStore.AddRange(presented.ToArray());
                if (chain.Build(leaf))
                {
                    return null;
                }

                failures.Add(string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct()));
            }
            finally
            {
                foreach (var certificate in certificates)
                {
                    certificate.Dispose();
                }
            }
        }

        return $"it does not chain to a certificate authority of the trusted root ({string.Join(" / ", failures)})";
    }
}
