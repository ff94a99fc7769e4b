using Microsoft.Extensions.Logging.Abstractions;
using Wasme.Oci.Registry.Auth;
using Wasme.Operator.Images;
using Wasme.Operator.Tests.Support;

namespace Wasme.Operator.Tests.Images;

/// <summary>The operator's module limit is its own flag: the refusal of an oversized module names it, and it can be raised.</summary>
public sealed class OciImageResolverTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_module_over_the_limit_is_an_invalid_image_and_a_higher_limit_reads_it()
    {
        var image = await registry.PushAsync("limits/filter:v1");
        var request = new ImageRequest(image.Reference, AnonymousCredentialProvider.Instance, PlainHttp: true, InsecureSkipVerify: false);

        var refused = await Assert.ThrowsAsync<ImageResolutionException>(
            () => new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System, maxModuleSize: 100).ResolveAsync(request, CancellationToken.None));
        var facts = await new OciImageResolver(NullLoggerFactory.Instance, TimeProvider.System, maxModuleSize: 4096).ResolveAsync(request, CancellationToken.None);

        Assert.Equal(ImageResolutionFailure.InvalidImage, refused.Failure);
        Assert.Contains("Raise --max-module-size", refused.Message, StringComparison.Ordinal);
        Assert.Equal(image.ModuleSha256, facts.ModuleSha256);
    }
}
