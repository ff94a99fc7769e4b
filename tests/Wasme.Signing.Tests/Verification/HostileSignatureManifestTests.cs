using System.Text;
using Microsoft.AspNetCore.Http;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;
using Wasme.Signing.Verification;
using Wasme.Testing.Registry;

namespace Wasme.Signing.Tests.Verification;

/// <summary>A registry that serves a .sig manifest no real registry accepts on push: only a hostile one (or a proxy) serves it.</summary>
public sealed class HostileSignatureManifestTests
{
    [Theory]
    [InlineData("[null]")]
    [InlineData("null")]
    [InlineData("[{\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"digest\":null,\"size\":1}]")]
    public async Task A_sig_manifest_with_null_layers_is_refused_as_an_integrity_failure_naming_them(string layers)
    {
        var manifest = Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
            + $"\"digest\":\"{Digest.Compute("{}"u8)}\",\"size\":2}},\"layers\":{layers}}}");
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Path.Value!.EndsWith(".sig", StringComparison.Ordinal))
            {
                context.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
                await context.Response.Body.WriteAsync(manifest);
                return;
            }

            context.Response.StatusCode = context.Request.Path.Value == "/v2/" ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        });
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);
        var policy = new VerificationPolicy { PublicKeys = [CosignKeys.Generate("pw").PublicKeyPem] };

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() =>
            new ImageVerifier(client).VerifyAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"), Digest.Compute("image"u8), policy));

        Assert.Contains("layers", error.Message, StringComparison.Ordinal);
        Assert.Contains(".sig", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/vnd.oci.image.index.v1+json", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"layers\":[null]}")]
    public async Task A_sig_tag_that_is_no_signature_manifest_does_not_hide_a_valid_bundle_given_beside_it(string mediaType, string body)
    {
        // Whoever can push to the repository can replace the .sig tag; a bundle the user holds must still be judged on its own.
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Path.Value!.EndsWith(".sig", StringComparison.Ordinal))
            {
                context.Response.ContentType = mediaType;
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body));
                return;
            }

            context.Response.StatusCode = context.Request.Path.Value == "/v2/" ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        });
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance);
        var (privateKey, publicKey) = CosignKeys.Generate("pw");
        using var key = CosignKeys.DecryptPrivateKey(privateKey, "pw", "cosign.key");
        var image = ImageReference.Parse($"{registry.Host}/team/filter:v1");
        var digest = Digest.Compute("image"u8);
        var claim = SimpleSigningPayload.Create(image.Name, digest);
        var bundle = ImageSigner.KeyBundle(claim, ImageSigner.Sign(key, claim), KeyIds.Of(key));

        var withBundle = await new ImageVerifier(client).VerifyAsync(image, digest, new VerificationPolicy { PublicKeys = [publicKey] }, [bundle]);

        Assert.True(withBundle.IsVerified, withBundle.Message);
    }
}
