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
}
