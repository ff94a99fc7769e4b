using System.Collections.Concurrent;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Kubernetes.Clients;
using Wasme.Oci.Errors;
using Wasme.Operator.Images;
using Wasme.Operator.Reconciliation;
using Wasme.Signing.Verification;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// <c>spec.filter.verification</c>: the resolved digest must carry a signature the policy accepts before
/// anything points at it. Under <c>Enforce</c> a digest that fails is never applied: what was applied
/// before stays (status keeps its digest, so the cache keeps serving exactly that). Under <c>Warn</c> it
/// is applied with <c>Verified=False</c> and a Warning Event.
/// </summary>
public sealed partial class FilterDeploymentReconciler
{
    private const string VerificationFailedReason = "VerificationFailed";
    private readonly ConcurrentDictionary<string, (VerificationResult Result, DateTimeOffset At)> _verdicts = new(StringComparer.Ordinal);

    /// <returns>Null to go on applying; otherwise the result to return (status already written).</returns>
    private async Task<ReconcileResult?> VerifyImageAsync(ObjectKey key, FilterDeployment deployment, VerificationSpec spec, ImageFacts image, FilterDeploymentStatusBuilder status, CancellationToken cancellationToken)
    {
        var enforce = (spec.Policy ?? VerificationMode.Enforce) == VerificationMode.Enforce;
        VerificationPolicy policy;
        try
        {
            policy = DeclaredPolicy.Create(
                [.. spec.PublicKeys ?? []],
                [.. (spec.Identities ?? []).Select(i => new KeylessIdentity { Issuer = i.Issuer, IssuerRegex = i.IssuerRegExp, Subject = i.Subject, SubjectRegex = i.SubjectRegExp })],
                _options.SigstoreTrustedRoot,
                "spec.filter.verification");
        }
        catch (OciUsageException ex)
        {
            // A spec error in either mode: no retry helps until the spec (or the operator's trusted root) changes.
            return await RefuseAsync(deployment, status, "InvalidVerificationPolicy", ex.Message, cancellationToken).ConfigureAwait(false);
        }

        VerificationResult result;
        try
        {
            result = await VerifyCachedAsync(key, deployment, image, policy, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageResolutionException ex)
        {
            var message = ImageFailureMessages.Describe(ex);
            var lastVerified = FilterDeploymentStatusBuilder.Find(deployment.Status, ConditionTypes.Verified);
            if (lastVerified is { Status: "True" } && deployment.Status?.ImageDigest == image.ManifestDigest)
            {
                // The applied digest was verified and has not moved: an outage of the registry revokes nothing.
                status.Keep(lastVerified);
                return null;
            }

            await RefuseAsync(deployment, status, ex.Failure.ToString(), message, cancellationToken).ConfigureAwait(false);
            throw new ExpectedReconcileException($"{ex.Failure}: {message}", ex);
        }

        if (result.IsVerified)
        {
            status.Condition(ConditionTypes.Verified, true, "Verified", result.Message);
            return null;
        }

        var reason = result.Reason!.Value.ToString();
        if (!enforce)
        {
            status.Condition(ConditionTypes.Verified, false, reason, $"{result.Message}; applied anyway (spec.filter.verification.policy: Warn)");
            return null;
        }

        // A signature may be attached later (sign after push): look again at the refresh interval.
        await RefuseAsync(deployment, status, reason, result.Message, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.After(_options.ImageRefreshInterval);
    }

    private async Task<VerificationResult> VerifyCachedAsync(ObjectKey key, FilterDeployment deployment, ImageFacts image, VerificationPolicy policy, CancellationToken cancellationToken)
    {
        var cacheKey = $"{key}|{image.Repository}@{image.ManifestDigest}|{DeclaredPolicy.Fingerprint(policy)}";
        var now = _timeProvider.GetUtcNow();
        if (_verdicts.TryGetValue(cacheKey, out var known) && now - known.At < _options.ImageRefreshInterval)
        {
            return known.Result;
        }

        var pull = deployment.Spec.Filter!.ImagePullOptions;
        var credentials = await _pullSecrets.ReadAsync(key.Namespace!, pull?.PullSecret, cancellationToken).ConfigureAwait(false);
        var request = new ImageRequest(deployment.Spec.Filter.Image!, credentials.Provider, pull?.PlainHttp ?? false, pull?.InsecureSkipVerify ?? false);
        var result = await _signatures.VerifyAsync(request, image, policy, cancellationToken).ConfigureAwait(false);
        foreach (var stale in _verdicts.Keys.Where(k => k.StartsWith($"{key}|", StringComparison.Ordinal)))
        {
            _verdicts.TryRemove(stale, out _);
        }

        _verdicts[cacheKey] = (result, now);
        return result;
    }

    // The new digest is not applied: status keeps what it said before (the cache serves exactly those).
    private async Task<ReconcileResult> RefuseAsync(FilterDeployment deployment, FilterDeploymentStatusBuilder status, string reason, string message, CancellationToken cancellationToken)
    {
        // resolvedImage too: the cache fetches it ahead of the apply, and an unverified digest must not reach any node.
        status.Status.ImageDigest = deployment.Status?.ImageDigest;
        status.Status.ModuleSha256 = deployment.Status?.ModuleSha256;
        status.Status.ResolvedImage = deployment.Status?.ResolvedImage;
        status.Condition(ConditionTypes.Verified, false, reason, message)
            .Condition(ConditionTypes.Ready, false, VerificationFailedReason, $"{reason}: {message}");
        if (FilterDeploymentStatusBuilder.Find(deployment.Status, ConditionTypes.Applied) is { } lastApplied)
        {
            status.Keep(lastApplied);
        }
        else
        {
            status.Condition(ConditionTypes.Applied, false, "NotVerified", "waiting for an image whose signature spec.filter.verification accepts");
        }

        await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }
}
