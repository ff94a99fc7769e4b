using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Wasme.Signing.Bundles;

namespace Wasme.Signing.Tests.Support;

/// <summary>
/// A Sigstore instance in the test process: a certificate authority and a Rekor log whose keys a <see cref="TrustedRoot"/>
/// lists, which make keyless bundles from certificates a test shapes (another issuer CA, an AIA extension…), so a hostile
/// signature can be made that the Sigstore peer's Fulcio would never issue. Rekor's entry is a one-entry tree: its
/// inclusion proof has no hashes and its checkpoint is signed by the log key.
/// </summary>
internal sealed class TestSigstore : IDisposable
{
    public const string LogUrl = "https://rekor.test.invalid";
    private const string LogName = "rekor.test.invalid";

    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _logKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestSigstore(DateTimeOffset now)
    {
        Now = now;
        var request = new CertificateRequest("CN=test-fulcio", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        Authority = request.CreateSelfSigned(now.AddDays(-30), now.AddDays(30));
        LogId = SHA256.HashData(_logKey.ExportSubjectPublicKeyInfo());
    }

    public DateTimeOffset Now { get; }

    public X509Certificate2 Authority { get; }

    public byte[] LogId { get; }

    public TrustedRoot TrustedRoot => new()
    {
        MediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        Tlogs =
        [
            new TransparencyLogInstance
            {
                BaseUrl = LogUrl,
                HashAlgorithm = "SHA2_256",
                PublicKey = new TrustedPublicKey { RawBytes = _logKey.ExportSubjectPublicKeyInfo(), KeyDetails = "PKIX_ECDSA_P256_SHA_256" },
                LogId = new BundleLogId { KeyId = LogId },
            },
        ],
        CertificateAuthorities = [new CertificateAuthority { Uri = "https://fulcio.test.invalid", CertChain = new BundleCertificateChain { Certificates = [new BundleCertificate { RawBytes = Authority.RawData }] } }],
    };

    /// <summary>A Fulcio-like leaf for <paramref name="subject"/> from <paramref name="issuer"/>, issued by <paramref name="by"/> (the trusted CA when null).</summary>
    public (X509Certificate2 Certificate, ECDsa Key) Leaf(string subject, string issuer, X509Certificate2? by = null, ECDsa? byKey = null, Action<CertificateRequest>? shape = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        if (subject.Contains('@', StringComparison.Ordinal) && !subject.Contains("://", StringComparison.Ordinal))
        {
            names.AddEmailAddress(subject);
        }
        else
        {
            names.AddUri(new Uri(subject));
        }

        request.CertificateExtensions.Add(names.Build(critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, issuer);
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.57264.1.8", writer.Encode(), false));
        shape?.Invoke(request);
        var generator = X509SignatureGenerator.CreateForECDsa(byKey ?? _caKey);
        var certificate = request.Create((by ?? Authority).SubjectName, generator, Now.AddMinutes(-1), Now.AddMinutes(9), RandomNumberGenerator.GetBytes(16));
        return (certificate, key);
    }

    /// <summary>A v0.3 bundle of <paramref name="payload"/> signed by <paramref name="leaf"/>'s key and logged now.</summary>
    public SigstoreBundle Sign(ReadOnlySpan<byte> payload, (X509Certificate2 Certificate, ECDsa Key) leaf)
    {
        var signature = leaf.Key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var pem = Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE", leaf.Certificate.RawData));
        var body = Encoding.UTF8.GetBytes(
            "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\":{\"hash\":{\"algorithm\":\"sha256\",\"value\":\""
            + Convert.ToHexStringLower(SHA256.HashData(payload)) + "\"}},\"signature\":{\"content\":\"" + Convert.ToBase64String(signature)
            + "\",\"publicKey\":{\"content\":\"" + Convert.ToBase64String(pem) + "\"}}}}");
        var integratedTime = Now.ToUnixTimeSeconds();
        const long logIndex = 0;
        var set = _logKey.SignData(
            Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"{{\"body\":\"{Convert.ToBase64String(body)}\",\"integratedTime\":{integratedTime},\"logID\":\"{Convert.ToHexStringLower(LogId)}\",\"logIndex\":{logIndex}}}")),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var root = SHA256.HashData([0x00, .. body]);
        var note = $"{LogName} - 1\n1\n{Convert.ToBase64String(root)}\n";
        var noteSignature = _logKey.SignData(Encoding.UTF8.GetBytes(note), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var checkpoint = $"{note}\n\u2014 {LogName} {Convert.ToBase64String([.. LogId.AsSpan(0, 4), .. noteSignature])}\n";
        return new SigstoreBundle
        {
            MediaType = SigstoreBundle.MediaTypeV03,
            VerificationMaterial = new BundleVerificationMaterial
            {
                Certificate = new BundleCertificate { RawBytes = leaf.Certificate.RawData },
                TlogEntries =
                [
                    new BundleTlogEntry
                    {
                        LogIndex = logIndex.ToString(CultureInfo.InvariantCulture),
                        LogId = new BundleLogId { KeyId = LogId },
                        KindVersion = new BundleKindVersion { Kind = "hashedrekord", Version = "0.0.1" },
                        IntegratedTime = integratedTime.ToString(CultureInfo.InvariantCulture),
                        InclusionPromise = new BundleInclusionPromise { SignedEntryTimestamp = set },
                        InclusionProof = new BundleInclusionProof
                        {
                            LogIndex = "0",
                            TreeSize = "1",
                            RootHash = root,
                            Hashes = [],
                            Checkpoint = new BundleCheckpoint { Envelope = checkpoint },
                        },
                        CanonicalizedBody = body,
                    },
                ],
            },
            MessageSignature = new BundleMessageSignature
            {
                MessageDigest = new BundleHash { Algorithm = BundleHash.Sha256, Digest = SHA256.HashData(payload) },
                Signature = signature,
            },
        };
    }

    public void Dispose()
    {
        Authority.Dispose();
        _caKey.Dispose();
        _logKey.Dispose();
    }
}
