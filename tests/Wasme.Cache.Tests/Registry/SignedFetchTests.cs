using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Cache.Fetching;
using Wasme.Cache.Tests.Support;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Signing.Keys;
using Wasme.Signing.Signing;
using Wasme.Signing.Verification;

namespace Wasme.Cache.Tests.Registry;

/// <summary>
/// Issue 18: the cache verifies an enforced FilterDeployment's image itself before it fetches the module, so a status
/// naming an unsigned digest (whoever wrote it) never gets its module onto the node. Real registry, wasme's signer.
/// </summary>
public sealed class SignedFetchTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private static readonly CacheOptions Options = new() { Listen = new Uri("http://127.0.0.1:0"), ResyncInterval = TimeSpan.FromHours(1) };
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task An_unsigned_image_is_not_fetched_and_once_signed_the_next_attempt_stores_it()
    {
        var pushed = await PushedModule.PushAsync(fixture.Registry.Host, "signed/late", 10_000, seed: 7);
        using var harness = new CacheHarness(Source(), Options);
        harness.Cache.SetWanted([pushed.Wanted with { Verification = Enforced() }]);

        await harness.Cache.SyncAsync();

        Assert.Empty(harness.Temp.Files());
        Assert.Contains("NoSignature", harness.Cache.FailureReason(pushed.Module), StringComparison.Ordinal);

        using (var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance))
        {
            await new ImageSigner(client).SignAsync(ImageReference.Parse(pushed.PinnedImage), _key);
        }

        var entry = await harness.Fetcher.EnsureAsync(pushed.Wanted with { Verification = Enforced() }, CancellationToken.None);

        Assert.Equal(pushed.Bytes, await File.ReadAllBytesAsync(entry.Path));
    }

    [Fact]
    public async Task A_signature_by_another_key_or_an_unusable_policy_keeps_the_module_off_the_node()
    {
        var pushed = await PushedModule.PushAsync(fixture.Registry.Host, "signed/other-key", 10_000, seed: 8);
        using var someoneElse = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var client = new RegistryClient(new RegistryClientOptions(), AnonymousCredentialProvider.Instance))
        {
            await new ImageSigner(client).SignAsync(ImageReference.Parse(pushed.PinnedImage), someoneElse);
        }

        using var harness = new CacheHarness(Source(), Options);

        var wrongKey = await Assert.ThrowsAnyAsync<Exception>(() => harness.Fetcher.EnsureAsync(pushed.Wanted with { Verification = Enforced() }, CancellationToken.None));
        var unusable = await Assert.ThrowsAnyAsync<Exception>(() => harness.Fetcher.EnsureAsync(
            pushed.Wanted with { Verification = new ModuleVerification(null, "spec.filter.verification.identities needs the cluster's Sigstore trusted root") },
            CancellationToken.None));

        Assert.Contains("WrongKey", wrongKey.Message, StringComparison.Ordinal);
        Assert.Contains("trusted root", unusable.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Temp.Files());
    }

    private ModuleVerification Enforced() =>
        new(DeclaredPolicy.Create([CosignKeys.ExportPublicKey(_key)], [], null, "spec.filter.verification"), null);

    private static RegistryModuleSource Source() =>
        new(AnonymousPullCredentialSource.Instance, Options.MaxModuleBytes, NullLoggerFactory.Instance, TimeProvider.System);
}
