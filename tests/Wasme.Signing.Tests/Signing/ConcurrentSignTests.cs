using System.Net;
using System.Security.Cryptography;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Signing.Cosign;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;
using Wasme.Signing.Tests.Support;
using Wasme.Signing.Verification;

namespace Wasme.Signing.Tests.Signing;

/// <summary>Two signers of one image at once: the <c>.sig</c> manifest is read, merged and rewritten, so one must not erase the other.</summary>
public sealed class ConcurrentSignTests(SigningRegistryFixture fixture) : IClassFixture<SigningRegistryFixture>
{
    [Fact]
    public async Task A_signature_attached_by_another_signer_while_we_sign_is_kept()
    {
        var (reference, digest) = await fixture.PushImageAsync("concurrent/filter:v1", seed: 7);
        using var ours = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var theirs = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The other signer writes just after our first read of the .sig tag, so what we read is stale.
        using var interleaving = new AfterFirstSignatureRead(() => new ImageSigner(fixture.Client).SignAsync(reference, theirs));
        using var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance, handler: interleaving);

        await new ImageSigner(client).SignAsync(reference, ours);

        Assert.True(interleaving.Ran);
        Assert.Equal(2, (await new CosignSignatureStore(fixture.Client).ReadAsync(reference, digest)).Count);
        foreach (var key in new[] { ours, theirs })
        {
            var result = await new ImageVerifier(fixture.Client).VerifyAsync(reference, digest, new VerificationPolicy { PublicKeys = [CosignKeys.ExportPublicKey(key)] });
            Assert.True(result.IsVerified, result.Message);
        }
    }

    private sealed class AfterFirstSignatureRead(Func<Task> other) : DelegatingHandler(new SocketsHttpHandler())
    {
        public bool Ran { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (!Ran && request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith(".sig", StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.NotFound)
            {
                Ran = true;
                await other();
            }

            return response;
        }
    }
}
