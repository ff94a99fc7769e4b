using System.Security.Cryptography;
using System.Text;
using Wasme.Oci.Errors;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;

namespace Wasme.Signing.Tests.Keys;

public sealed class CosignKeysTests
{
    [Fact]
    public void A_generated_private_key_opens_with_its_password_and_signs_what_its_public_key_verifies()
    {
        var (privatePem, publicPem) = CosignKeys.Generate("correct horse");

        Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", privatePem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", publicPem, StringComparison.Ordinal);
        using var key = CosignKeys.DecryptPrivateKey(privatePem, "correct horse", "cosign.key");
        using var publicKey = CosignKeys.ImportPublicKey(publicPem, "cosign.pub");
        var signature = ImageSigner.Sign(key, "payload"u8);
        Assert.True(publicKey.VerifyData("payload"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(KeyIds.Of(key), KeyIds.Of(publicKey));
    }

    [Fact]
    public void The_envelope_is_cosigns_json_with_scrypt_and_secretbox()
    {
        var (privatePem, _) = CosignKeys.Generate(string.Empty);
        var fields = PemEncoding.Find(privatePem);
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(privatePem[fields.Base64Data]));

        Assert.Contains("\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1}", json, StringComparison.Ordinal);
        Assert.Contains("\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_password_is_a_usage_error_naming_COSIGN_PASSWORD()
    {
        var (privatePem, _) = CosignKeys.Generate("right");

        var error = Assert.Throws<OciUsageException>(() => CosignKeys.DecryptPrivateKey(privatePem, "wrong", "cosign.key"));

        Assert.Contains("wrong password", error.Message, StringComparison.Ordinal);
        Assert.Contains("COSIGN_PASSWORD", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_legacy_cosign_label_is_read()
    {
        var (privatePem, _) = CosignKeys.Generate("pw");
        var legacy = privatePem.Replace(CosignKeys.PrivateKeyLabel, CosignKeys.LegacyPrivateKeyLabel, StringComparison.Ordinal);

        using var key = CosignKeys.DecryptPrivateKey(legacy, "pw", "cosign.key");

        Assert.Equal(256, key.KeySize);
    }

    [Fact]
    public void A_public_key_given_as_private_key_is_refused_with_the_fix()
    {
        var (_, publicPem) = CosignKeys.Generate("pw");

        var error = Assert.Throws<OciUsageException>(() => CosignKeys.DecryptPrivateKey(publicPem, "pw", "cosign.pub"));

        Assert.Contains("wasme generate-key-pair", error.Message, StringComparison.Ordinal);
    }

    // Made with openssl: cosign reads none of these as an ECDSA verification key wasme could match, so each is refused naming what it is.
    public static TheoryData<string, string, string> UnusablePublicKeys => new()
    {
        { "Ed25519", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAvQ/yAzkWzbTInO59MTvd2vqTL2lxo0DBfsYOto72D5Y=\n-----END PUBLIC KEY-----\n", "is an Ed25519 key" },
        {
            "RSA",
            "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCeN1libXgz+14+0X7pv7vmRbcN\nJhH8H+Qt3VO8r0Xtl1qaVepcOjN5LhjrueB4eOAyD1ih9RUAN85oyaQdwAoDBX70\nJwRwAM5OCgSzzhw15uDVypeComVWr9Q0iLburSNQ+Ei4S1SCq04n+UPnjGjwMdhO\nld8u7zPmQwmXd/ZoqQIDAQAB\n-----END PUBLIC KEY-----\n",
            "is an RSA key"
        },
        {
            "PKCS#1 RSA",
            "-----BEGIN RSA PUBLIC KEY-----\nMIGJAoGBANG8dZ322AthbORYWX25mfCSPdiA3fetTZSwCx0TunJjquIE8Wcbr+vP\nmD5yERGetY/U5KnZxz/IDM45HapGdIPP8S63yoHESzjmquAxXdh4B2+R8ky8z9w/\njLUKO7V19ZRtVMW2zhxYAju4R6weKdERz8lbwaIE2sduLgPo/c55AgMBAAE=\n-----END RSA PUBLIC KEY-----\n",
            "'RSA PUBLIC KEY'"
        },
        { "secp256k1", "-----BEGIN PUBLIC KEY-----\nMFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEltF2hzTpjaG32gCiBxD5+mKdc0ZZZ9Yb\npNizG6luUfdkrrvayTwkQmc8mM+QMZE0t1JD7CCYHdnyFF52QiTsLg==\n-----END PUBLIC KEY-----\n", "curve 1.3.132.0.10" },
        {
            "explicit curve parameters",
            "-----BEGIN PUBLIC KEY-----\nMIIBSzCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAA\nAAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA////\n///////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSd\nNgiG5wSTamZ44ROdJreBn36QBEEEaxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5\nRdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA\n//////////+85vqtpxeehPO5ysL8YyVRAgEBA0IABE6L0fjC1KUQwRnVXZxwlBrU\nmjtScGMcHc4DmlneCSf+2rkdqujqAqxMXTMmADWE+mZagPZRxWZ0EGhAQnMOUcM=\n-----END PUBLIC KEY-----\n",
            "explicit curve parameters"
        },
        { "compressed point", "-----BEGIN PUBLIC KEY-----\nMDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADTovR+MLUpRDBGdVdnHCUGtSaO1Jw\nYxwdzgOaWd4JJ/4=\n-----END PUBLIC KEY-----\n", "compressed" },
    };

    [Theory]
    [MemberData(nameof(UnusablePublicKeys))]
    public void A_public_key_wasme_cannot_verify_with_is_refused_naming_what_it_is_and_the_fix(string kind, string pem, string named)
    {
        var error = Assert.Throws<OciUsageException>(() => CosignKeys.ImportPublicKey(pem, "signer.pub"));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("signer.pub", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Contains("P-256", StringComparison.Ordinal), $"{kind}: {error.Message}");
    }

    [Fact]
    public void A_private_key_given_as_public_key_is_refused_naming_its_block()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var error = Assert.Throws<OciUsageException>(() => CosignKeys.ImportPublicKey(ec.ExportECPrivateKeyPem(), "cosign.key"));

        Assert.Contains("'EC PRIVATE KEY'", error.Message, StringComparison.Ordinal);
        Assert.Contains("public key", error.Message, StringComparison.Ordinal);
    }
}
