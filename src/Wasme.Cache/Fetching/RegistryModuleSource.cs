using Microsoft.Extensions.Logging;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Transfer;
using Wasme.Signing.Verification;

namespace Wasme.Cache.Fetching;

/// <summary>
/// Pulls modules from OCI registries with the Wasme.Oci client: by manifest digest only (a tag
/// could move under us), every manifest and blob verified while streaming, any supported layout.
/// </summary>
public sealed class RegistryModuleSource : IModuleSource
{
    private readonly IPullCredentialSource _credentials;
    private readonly long _maxModuleBytes;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly Func<HttpMessageHandler?> _handlerFactory;

    // handlerFactory lets tests observe the upstream traffic; null means the client's own handler.
    public RegistryModuleSource(
        IPullCredentialSource credentials,
        long maxModuleBytes,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        Func<HttpMessageHandler?>? handlerFactory = null)
    {
        _credentials = credentials;
        _maxModuleBytes = maxModuleBytes;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _handlerFactory = handlerFactory ?? (() => null);
    }

    public async Task FetchAsync(WantedModule wanted, Stream destination, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(wanted.Image, out var reference) || reference.Digest is null)
        {
            throw new OciUsageException(
                $"'{wanted.Image}' is not an image reference pinned by digest (registry/repository@sha256:…). The cache pulls by digest only; the operator records the digest in the FilterDeployment's status.");
        }

        var options = new RegistryClientOptions
        {
            // Loopback registries speak plain HTTP by default, as docker does; anything else only when asked.
            PlainHttp = wanted.PlainHttp || reference.IsLoopbackRegistry,
            Insecure = wanted.InsecureSkipVerify,
            MaxModuleSize = _maxModuleBytes,
        };
        var credentials = await _credentials.GetAsync(wanted.PullSecret, cancellationToken);
        using var client = new RegistryClient(options, credentials, _loggerFactory.CreateLogger<RegistryClient>(), _timeProvider, _handlerFactory());
        if (wanted.Verification is { } verification)
        {
            await VerifyAsync(client, reference, verification, cancellationToken);
        }

        var image = await new ImagePuller(client).ReadModuleAsync(reference, cancellationToken);
        await destination.WriteAsync(image.Module, cancellationToken);
    }

    // Before any module byte is read: an image that fails is neither stored nor served, and each retry verifies again.
    private static async Task VerifyAsync(RegistryClient client, ImageReference reference, ModuleVerification verification, CancellationToken cancellationToken)
    {
        if (verification.Policy is not { } policy)
        {
            throw new OciUsageException($"not fetched: {verification.Problem}");
        }

        var result = await new ImageVerifier(client).VerifyAsync(reference, reference.Digest!, policy, cancellationToken);
        if (!result.IsVerified)
        {
            throw new OciIntegrityException($"not fetched, {result.Reason}: {result.Message}");
        }
    }
}
