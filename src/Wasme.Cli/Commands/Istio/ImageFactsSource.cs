using Wasme.Istio.Translation;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;

namespace Wasme.Cli.Commands.Istio;

/// <summary>Where the facts about an image (digest, module sha256, ABI, root ids) come from: the registry, or the command line.</summary>
internal interface IImageFactsSource
{
    Task<ImageFacts> GetAsync(string image, CancellationToken cancellationToken);
}

/// <summary>Pulls the image (verified against its digests, bounded) and reads its facts.</summary>
internal sealed class RegistryImageFactsSource(CliContext context, bool plainHttp, bool insecure) : IImageFactsSource
{
    public async Task<ImageFacts> GetAsync(string image, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(image);
        using var client = new RegistryClient(
            new RegistryClientOptions { PlainHttp = plainHttp, Insecure = insecure },
            DockerConfigCredentialProvider.FromEnvironment(context.GetEnvironmentVariable),
            timeProvider: context.TimeProvider);
        var module = await new ImagePuller(client).ReadModuleAsync(reference, cancellationToken);
        return new ImageFacts(reference.Name, module.ManifestDigest.ToString(), module.ModuleDigest.Hex, module.RuntimeConfig.AbiVersions, module.RuntimeConfig.RootIds);
    }
}

/// <summary>Facts given on the command line or in a file, for offline rendering (GitOps pipelines without registry access).</summary>
internal sealed class FixedImageFactsSource(ImageFacts facts) : IImageFactsSource
{
    public Task<ImageFacts> GetAsync(string image, CancellationToken cancellationToken) => Task.FromResult(facts);
}
