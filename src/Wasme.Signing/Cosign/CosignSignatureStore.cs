using System.Text;
using System.Text.Json;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;

namespace Wasme.Signing.Cosign;

/// <summary>
/// Reads and writes signatures where cosign keeps them: an OCI manifest tagged
/// <c>sha256-&lt;hex&gt;.sig</c> in the image's own repository, one layer per signature.
/// </summary>
public sealed class CosignSignatureStore(RegistryClient client, TimeProvider? timeProvider = null)
{
    /// <summary>A payload is a few hundred bytes; anything near this bound is not a signature.</summary>
    private const long MaxPayloadSize = 256 * 1024;

    /// <summary>At most this many signatures are read for one image, so a registry cannot make us fetch without end.</summary>
    private const int MaxSignatures = 64;

    /// <summary>How often a write is redone when another signer changed the <c>.sig</c> manifest meanwhile.</summary>
    private const int MaxWriteAttempts = 5;

    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(2);

    public static string SignatureTag(Digest manifestDigest)
    {
        ArgumentNullException.ThrowIfNull(manifestDigest);
        return $"sha256-{manifestDigest.Hex}.sig";
    }

    public static ImageReference SignatureReference(ImageReference repository, Digest manifestDigest)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return repository.WithoutDigest().WithTag(SignatureTag(manifestDigest));
    }

    /// <summary>The signatures attached to the image; empty when it has none.</summary>
    public async Task<IReadOnlyList<CosignSignature>> ReadAsync(ImageReference repository, Digest manifestDigest, CancellationToken cancellationToken = default)
    {
        var manifest = await ReadManifestAsync(SignatureReference(repository, manifestDigest), cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return [];
        }

        var signatures = new List<CosignSignature>();
        foreach (var layer in manifest.Layers.Where(l => l.MediaType == CosignAnnotations.SimpleSigningMediaType).Take(MaxSignatures))
        {
            var annotations = layer.Annotations ?? new Dictionary<string, string>();
            // One layer that cannot be read is one signature that cannot be verified, not the end of reading the others:
            // whoever can push to the .sig tag could otherwise hide a valid signature behind a broken one.
            if (layer.Size is < 0 or > MaxPayloadSize)
            {
                signatures.Add(new CosignSignature(ReadOnlyMemory<byte>.Empty, annotations) { Unreadable = $"its payload blob {layer.Digest} is {layer.Size} bytes, more than the {MaxPayloadSize} a signature's claim needs" });
                continue;
            }

            try
            {
                var payload = await client.GetBlobAsync(repository, layer, MaxPayloadSize, progress: null, cancellationToken).ConfigureAwait(false);
                signatures.Add(new CosignSignature(payload, annotations));
            }
            catch (Exception ex) when (ex is OciNotFoundException or OciIntegrityException)
            {
                signatures.Add(new CosignSignature(ReadOnlyMemory<byte>.Empty, annotations) { Unreadable = $"its payload blob {layer.Digest} cannot be fetched ({ex.Message})" });
            }
        }

        return signatures;
    }

    /// <summary>
    /// Adds a signature to the image's <c>.sig</c> manifest, keeping the ones there (as cosign does);
    /// the same signature twice is kept once. Returns the signature manifest's reference.
    /// </summary>
    /// <remarks>
    /// Registries have no conditional write, so two signers of one image each read the manifest, add their
    /// layer and write it back: the later write would erase the earlier signature. The manifest is read again
    /// just before writing (another signer wrote since: merge again) and just after (ours was overwritten:
    /// merge again); what remains is the one round trip between the last read and the write.
    /// </remarks>
    public async Task<ImageReference> AttachAsync(ImageReference repository, Digest manifestDigest, CosignSignature signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var target = SignatureReference(repository, manifestDigest);
        var layer = Descriptor.For(CosignAnnotations.SimpleSigningMediaType, signature.Payload.Span, signature.Annotations);
        await client.PushBlobAsync(repository, layer.GetDigest(), signature.Payload, cancellationToken: cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            var existing = await ReadManifestAsync(target, cancellationToken).ConfigureAwait(false);
            var started = Clock.GetTimestamp();
            var layers = (existing?.Layers ?? []).Where(l => !SameSignature(l, layer)).Append(layer).ToList();
            var config = Config(layers);
            var configDescriptor = Descriptor.For(MediaTypes.OciImageConfig, config);
            await client.PushBlobAsync(repository, configDescriptor.GetDigest(), config, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!SameLayers(existing, await ReadManifestAsync(target, cancellationToken).ConfigureAwait(false)))
            {
                continue;
            }

            var manifest = new ImageManifest
            {
                SchemaVersion = 2,
                MediaType = MediaTypes.OciManifest,
                Config = configDescriptor,
                Layers = layers,
            };
            var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Written.ImageManifest);
            await client.PushManifestAsync(target, MediaTypes.OciManifest, bytes, cancellationToken).ConfigureAwait(false);
            if (!await HoldsAsync(target, layer, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            // A signer that read before our write writes within about one of its round trips: look once more
            // after twice ours, so an erasure that lands just after the check above is merged again too.
            var settle = Clock.GetElapsedTime(started) * 2;
            await Task.Delay(settle < MaxSettle ? settle : MaxSettle, Clock, cancellationToken).ConfigureAwait(false);
            if (await HoldsAsync(target, layer, cancellationToken).ConfigureAwait(false))
            {
                return target;
            }
        }

        throw new OciNetworkException($"Other signers kept rewriting {target} while this signature was added ({MaxWriteAttempts} tries); it may not be attached. Run 'wasme sign' again, one signer at a time.");
    }

    private TimeProvider Clock => timeProvider ?? TimeProvider.System;

    private async Task<bool> HoldsAsync(ImageReference target, Descriptor layer, CancellationToken cancellationToken) =>
        (await ReadManifestAsync(target, cancellationToken).ConfigureAwait(false))?.Layers.Any(l => SameSignature(l, layer)) == true;

    private static bool SameLayers(ImageManifest? a, ImageManifest? b) =>
        (a?.Layers ?? []).Select(l => (l.Digest, l.Annotations?.GetValueOrDefault(CosignAnnotations.Signature)))
            .SequenceEqual((b?.Layers ?? []).Select(l => (l.Digest, l.Annotations?.GetValueOrDefault(CosignAnnotations.Signature))));

    private static bool SameSignature(Descriptor a, Descriptor b) =>
        a.Digest == b.Digest
        && a.Annotations?.GetValueOrDefault(CosignAnnotations.Signature) == b.Annotations?.GetValueOrDefault(CosignAnnotations.Signature);

    private async Task<ImageManifest?> ReadManifestAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ManifestContent content;
        try
        {
            content = await client.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        catch (OciNotFoundException)
        {
            return null;
        }

        if (content.IsIndex)
        {
            throw new OciIntegrityException($"{reference} is an index, not the signature manifest cosign writes; refused.");
        }

        // The checked parse: a null layer or digest, which no registry accepts on push but a hostile one serves, is this
        // refusal rather than a NullReferenceException further on.
        return OciDocuments.TryParseManifest(content.Bytes.Span, out var manifest, out var problem)
            ? manifest
            : throw new OciIntegrityException($"{reference} is not a signature manifest: {problem}.");
    }

    // cosign writes an image config whose rootfs lists the layers; registries and tools that read the
    // .sig tag as an image expect one.
    private static byte[] Config(IReadOnlyList<Descriptor> layers)
    {
        var diffIds = string.Join(",", layers.Select(l => $"\"{l.Digest}\""));
        return Encoding.UTF8.GetBytes($"{{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{{\"created\":\"0001-01-01T00:00:00Z\"}}],\"os\":\"\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[{diffIds}]}},\"config\":{{}}}}");
    }
}
