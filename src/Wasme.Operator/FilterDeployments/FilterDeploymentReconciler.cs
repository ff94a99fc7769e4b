using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Istio.Workloads;
using Wasme.Kubernetes.Caching;
using Wasme.Operator.Diagnostics;
using Wasme.Operator.HostPath;
using Wasme.Operator.Images;
using Wasme.Kubernetes.Clients;
using Wasme.Operator.Reconciliation;
using Wasme.Operator.Verification;

namespace Wasme.Operator.FilterDeployments;

/// <summary>
/// Level-triggered reconcile of one FilterDeployment: read the FilterDeployment, its workloads and the
/// objects it owns from the informer caches; resolve the image; compute the desired state with the pure
/// translation; write only the differences; then write the status only if it changed. Deleting the
/// FilterDeployment runs the finalizer, which removes the objects and restores annotations first.
/// </summary>
public sealed partial class FilterDeploymentReconciler : IReconciler
{
    private readonly ResourceInformer<FilterDeployment> _deployments;
    private readonly IResourceClient<FilterDeployment> _deploymentClient;
    private readonly WorkloadCatalog _workloads;
    private readonly OwnedResources _owned;
    private readonly IImageResolver _images;
    private readonly IPullSecretReader _pullSecrets;
    private readonly IEventRecorder _events;
    private readonly OperatorMetrics _metrics;
    private readonly FilterDeploymentReconcilerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private const string NameConflictReason = "NameConflict";
    private readonly ConcurrentDictionary<ObjectKey, ResolvedImage> _resolved = new();
    private readonly IstioVersionDetector? _istioVersions;
    private readonly ModuleDistributionGate? _distribution;
    private readonly IImageSignatureVerifier _signatures;

    public FilterDeploymentReconciler(
        ResourceInformer<FilterDeployment> deployments,
        IResourceClient<FilterDeployment> deploymentClient,
        WorkloadCatalog workloads,
        OwnedResources owned,
        IImageResolver images,
        IPullSecretReader pullSecrets,
        IEventRecorder events,
        OperatorMetrics metrics,
        FilterDeploymentReconcilerOptions options,
        TimeProvider timeProvider,
        ILogger<FilterDeploymentReconciler> logger,
        IstioVersionDetector? istioVersions = null,
        ModuleDistributionGate? distribution = null,
        IImageSignatureVerifier? signatures = null)
    {
        _istioVersions = istioVersions;
        _distribution = distribution;
        _signatures = signatures ?? new OciImageSignatureVerifier(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, timeProvider);
        _deployments = deployments;
        _deploymentClient = deploymentClient;
        _workloads = workloads;
        _owned = owned;
        _images = images;
        _pullSecrets = pullSecrets;
        _events = events;
        _metrics = metrics;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async ValueTask<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var deployment = _deployments.Get(key);
        if (deployment is null)
        {
            // Gone without our finalizer (or after it ran): owner references let GC remove the rest.
            _resolved.TryRemove(key, out _);
            return ReconcileResult.Done;
        }

        if (deployment.Metadata.DeletionTimestamp is not null)
        {
            await FinalizeAsync(key, deployment, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        deployment = await EnsureFinalizerAsync(deployment, cancellationToken).ConfigureAwait(false);
        var status = new FilterDeploymentStatusBuilder(deployment, _timeProvider.GetUtcNow().UtcDateTime);

        var problems = FilterDeploymentValidator.Validate(deployment);
        if (problems.Count > 0)
        {
            var message = Describe(problems);
            status.Condition(ConditionTypes.Applied, false, "InvalidSpec", message)
                .Condition(ConditionTypes.Ready, false, "InvalidSpec", message);
            await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
            // Retrying cannot help: the next spec change enqueues the object again.
            return ReconcileResult.Done;
        }

        ImageFacts image;
        ImageResolutionException? registryDown = null;
        try
        {
            image = await ResolveImageAsync(key, deployment, cancellationToken).ConfigureAwait(false);
            status.Status.ImageDigest = image.ManifestDigest;
            status.Status.ModuleSha256 = image.ModuleSha256;
            status.Status.ResolvedImage = $"{image.Repository}@{image.ManifestDigest}";
            status.Condition(ConditionTypes.ImageResolved, true, "Resolved", $"{deployment.Spec.Filter!.Image} is {image.Repository}@{image.ManifestDigest}");
        }
        catch (ImageResolutionException ex) when (ex.Failure == ImageResolutionFailure.RegistryUnavailable
            && !AppliedIsCurrent(deployment)
            && _resolved.TryGetValue(key, out var last) && last.Image == deployment.Spec.Filter!.Image)
        {
            // A spec edit that keeps the image (a config fix, a switch to FailOpen) must not wait for the registry: apply it
            // with the digest already resolved for this very reference, say so, and look at the registry again with backoff.
            image = last.Facts;
            registryDown = ex;
            status.Condition(ConditionTypes.ImageResolved, false, ex.Failure.ToString(), $"{ImageFailureMessages.Describe(ex)}; {image.ManifestDigest} stays applied");
        }
        catch (ImageResolutionException ex)
        {
            var reason = ex.Failure.ToString();
            var message = ImageFailureMessages.Describe(ex);
            var lastApplied = FilterDeploymentStatusBuilder.Find(deployment.Status, ConditionTypes.Applied);
            var lastReady = FilterDeploymentStatusBuilder.Find(deployment.Status, ConditionTypes.Ready);
            if (ex.Failure == ImageResolutionFailure.RegistryUnavailable
                && lastApplied is { Status: "True" } && lastReady is not null
                && lastApplied.ObservedGeneration == deployment.Metadata.Generation
                && deployment.Status?.ImageDigest is { } appliedDigest)
            {
                // Nothing changed and the applied digest stays served (the cache holds it): a warning, not "not ready".
                status.Condition(ConditionTypes.ImageResolved, false, reason, $"{message}; {appliedDigest} stays applied")
                    .Keep(lastApplied)
                    .Keep(lastReady);
            }
            else
            {
                status.Condition(ConditionTypes.ImageResolved, false, reason, message)
                    .Condition(ConditionTypes.Ready, false, reason, message);
                // What was applied before stays applied (last good state); say so rather than pretend otherwise.
                if (lastApplied is not null)
                {
                    status.Keep(lastApplied);
                }
                else
                {
                    status.Condition(ConditionTypes.Applied, false, "ImageNotResolved", "waiting for the image to resolve");
                }
            }

            await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
            if (ex.Failure is ImageResolutionFailure.InvalidReference or ImageResolutionFailure.InvalidImage)
            {
                return ReconcileResult.Done;
            }

            // Transient (registry down, secret not created yet, tag not pushed yet): retry with per-key backoff.
            throw new ExpectedReconcileException($"{reason}: {message}", ex);
        }

        if (deployment.Spec.Filter!.Verification is { } verification
            && await VerifyImageAsync(key, deployment, verification, image, status, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var workloads = _workloads.InNamespace(key.Namespace!);
        var translationOptions = _options.Translation;
        if (_istioVersions is not null
            && await _istioVersions.DetectAsync(deployment.Spec.Deployment?.Istio?.IstioNamespace ?? "istio-system", key.Namespace!, cancellationToken).ConfigureAwait(false) is { } detected)
        {
            translationOptions = translationOptions with { IstioVersion = detected };
        }

        var translation = FilterDeploymentTranslator.Translate(deployment, image, workloads, translationOptions);
        if (!translation.Succeeded)
        {
            var message = Describe(translation.Problems);
            status.Condition(ConditionTypes.Applied, false, "InvalidConfiguration", message)
                .Condition(ConditionTypes.Ready, false, "InvalidConfiguration", message);
            await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (_owned.NotServed(translation.Resources.Select(r => r.Kind)) is { Count: > 0 } missing)
        {
            // Istio before 1.12 has no WasmPlugin: say what to install or what to choose instead. The informer's
            // re-discovery requeues every FilterDeployment once the CRD appears.
            var message = string.Join("; ", missing.Select(MissingCrdMessage));
            status.Condition(ConditionTypes.Applied, false, "CrdNotInstalled", message)
                .Condition(ConditionTypes.Ready, false, "CrdNotInstalled", message);
            await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var rivals = FilterIdClaims.Rivals(deployment, _deployments.List(key.Namespace), workloads, olderOnly: true);
        var distribution = await CheckDistributionAsync(deployment, translation, rivals, image, status, cancellationToken).ConfigureAwait(false);
        var (changes, conflicts) = await ApplyAsync(deployment, translation, rivals, distribution, cancellationToken).ConfigureAwait(false);
        if (changes.Count > 0)
        {
            await _events.RecordAsync(deployment, EventTypes.Normal, "Applied", string.Join("; ", changes), cancellationToken).ConfigureAwait(false);
        }

        status.Status.Workloads = WorkloadStatuses(deployment, translation, rivals, conflicts, distribution);
        if (rivals.Count > 0 || conflicts.Count > 0)
        {
            // Persistent, and no retry of ours can fix it: say who holds the name and what to change (Warning Event included).
            var message = string.Join("; ", rivals.Select(r => FilterIdClaims.Describe(deployment, r.Key, r.Value)).Concat(conflicts.Select(c => c.Message)));
            if (distribution is null || distribution.AllOpen)
            {
                // The workloads it does serve point at this image now, as below: the caches must keep serving it.
                status.Status.AppliedImage = $"{image.Repository}@{image.ManifestDigest}";
                status.Status.AppliedModuleSha256 = image.ModuleSha256;
            }

            status.Condition(ConditionTypes.Applied, false, NameConflictReason, message)
                .Condition(ConditionTypes.Ready, false, NameConflictReason, message);
            await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
            if (conflicts.Count > 0)
            {
                // A foreign object is not watched: look again with backoff, so its removal is noticed without a restart.
                throw new ExpectedReconcileException($"{NameConflictReason}: {message}");
            }

            // A rival FilterDeployment's changes requeue this one (see FilterDeploymentOperator).
            return ReconcileResult.After(_options.ImageRefreshInterval);
        }

        if (distribution is not null && ModuleDistributionGate.Waiting(distribution, _distribution!.Distributed(distribution)) is { } waiting)
        {
            // Nothing new points at the file yet; the node records' watch (or the recheck) brings this back.
            status.Condition(ConditionTypes.Applied, false, waiting.Reason, waiting.Message)
                .Condition(ConditionTypes.Ready, false, waiting.Reason, waiting.Message);
            await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.After(_distribution.Options.RecheckInterval);
        }

        var applied = $"{translation.Resources.Count} {(translation.Resources.Count == 1 ? "object" : "objects")} for {translation.SelectedWorkloads.Count} {(translation.SelectedWorkloads.Count == 1 ? "workload" : "workloads")}";
        // Warnings (e.g. istio-agent needing WASM_INSECURE_REGISTRIES) do not block, but the user must be able to see them.
        var warnings = translation.SelectedWorkloads.Count > 0 ? translation.Warnings : [];
        if (translation.SelectedWorkloads.Count > 0
            && WasmPluginPullSecret.Warning(deployment, _resolved.TryGetValue(key, out var resolved) ? resolved.PullSecretType : null) is { } secretWarning)
        {
            warnings = [.. warnings, secretWarning];
        }

        status.Condition(ConditionTypes.Applied, true, "Applied", warnings.Count == 0 ? applied : $"{applied}; warning: {string.Join("; warning: ", warnings)}");
        // What the live objects now point at: the caches keep serving exactly this until the next successful apply.
        status.Status.AppliedImage = $"{image.Repository}@{image.ManifestDigest}";
        status.Status.AppliedModuleSha256 = image.ModuleSha256;
        if (translation.SelectedWorkloads.Count == 0)
        {
            status.Condition(ConditionTypes.Ready, false, "NoMatchingWorkloads", translation.Warnings.Count > 0 ? translation.Warnings[0] : "no workload matches the selector");
        }
        else
        {
            status.Condition(ConditionTypes.Ready, true, "Ready", $"filter applied to {string.Join(", ", translation.SelectedWorkloads.Select(w => w.Name))}");
        }

        await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);
        if (registryDown is not null)
        {
            throw new ExpectedReconcileException($"{registryDown.Failure}: {ImageFailureMessages.Describe(registryDown)}", registryDown);
        }

        return ReconcileResult.After(distribution is null
            ? _options.ImageRefreshInterval
            : TimeSpan.FromTicks(Math.Min(_options.ImageRefreshInterval.Ticks, _distribution!.Options.ServedRecheckInterval.Ticks)));
    }

    /// <summary>
    /// Per selected workload: yielded to an older FilterDeployment with the same id, or its name held by a foreign object
    /// (Failed, saying which); waiting for HostPath distribution (Pending); else served.
    /// </summary>
    private static Dictionary<string, WorkloadStatus> WorkloadStatuses(
        FilterDeployment deployment,
        TranslationResult translation,
        IReadOnlyDictionary<(WorkloadKind Kind, string Name), FilterDeployment> rivals,
        List<(string Name, string Message)> conflicts,
        DistributionReport? distribution)
    {
        var id = FilterDeploymentValidator.EffectiveId(deployment);
        return translation.SelectedWorkloads.ToDictionary(
            w => w.Name,
            w => rivals.TryGetValue((w.Kind, w.Name), out var holder)
                ? new WorkloadStatus { State = WorkloadState.Failed, Reason = FilterIdClaims.Describe(deployment, (w.Kind, w.Name), holder) }
                : conflicts.FirstOrDefault(c => c.Name == FilterDeploymentTranslator.ResourceName(w.Name, id)) is { Message: { } held }
                    ? new WorkloadStatus { State = WorkloadState.Failed, Reason = held }
                    : distribution?.For(w.Kind, w.Name) is { MayPoint: false } gate
                        ? new WorkloadStatus { State = WorkloadState.Pending, Reason = ModuleDistributionGate.Pending(gate) }
                        : new WorkloadStatus { State = WorkloadState.Succeeded, Reason = null });
    }

    // Applied=True for this generation: nothing changed since the last successful apply.
    private static bool AppliedIsCurrent(FilterDeployment deployment) =>
        FilterDeploymentStatusBuilder.Find(deployment.Status, ConditionTypes.Applied) is { Status: "True" } applied
        && FilterDeploymentStatusBuilder.Find(deployment.Status, ConditionTypes.Ready) is not null
        && applied.ObservedGeneration == deployment.Metadata.Generation;

    private async Task<ImageFacts> ResolveImageAsync(ObjectKey key, FilterDeployment deployment, CancellationToken cancellationToken)
    {
        var filter = deployment.Spec.Filter!;
        var pull = filter.ImagePullOptions;
        var now = _timeProvider.GetUtcNow();
        if (_resolved.TryGetValue(key, out var cached)
            && cached.Generation == deployment.Metadata.Generation
            && cached.Image == filter.Image
            && now - cached.ResolvedAt < _options.ImageRefreshInterval)
        {
            return cached.Facts;
        }

        var credentials = await _pullSecrets.ReadAsync(key.Namespace!, pull?.PullSecret, cancellationToken).ConfigureAwait(false);
        var facts = await _images.ResolveAsync(new ImageRequest(filter.Image!, credentials.Provider, pull?.PlainHttp ?? false, pull?.InsecureSkipVerify ?? false), cancellationToken).ConfigureAwait(false);
        if (cached is not null && cached.Facts.ManifestDigest != facts.ManifestDigest)
        {
            Log.ImageMoved(_logger, filter.Image!, cached.Facts.ManifestDigest, facts.ManifestDigest);
        }

        _resolved[key] = new ResolvedImage(filter.Image!, deployment.Metadata.Generation, facts, now, credentials.SecretType);
        return facts;
    }

    /// <summary>Creates, updates and deletes owned objects and edits pod templates; returns a line per change made.</summary>
    private async Task<(List<string> Changes, List<(string Name, string Message)> Conflicts)> ApplyAsync(
        FilterDeployment deployment,
        TranslationResult translation,
        IReadOnlyDictionary<(WorkloadKind Kind, string Name), FilterDeployment> rivals,
        DistributionReport? distribution,
        CancellationToken cancellationToken)
    {
        var changes = new List<string>();
        var conflicts = new List<(string Name, string Message)>();
        var ns = deployment.Metadata.NamespaceProperty;
        var id = FilterDeploymentValidator.EffectiveId(deployment);

        // Names an older FilterDeployment with the same id holds are not wanted here: this one gives them up.
        var yielded = rivals.Keys.Select(w => FilterDeploymentTranslator.ResourceName(w.Name, id)).ToHashSet(StringComparer.Ordinal);
        var wanted = translation.Resources.Where(r => !yielded.Contains(r.Name)).ToList();
        var current = _owned.OwnedBy(ns, deployment.Metadata.Name, deployment.Metadata.Uid);
        var formerIds = FormerIds(current, id);

        // HostPath: the cache volume first (only where every node running the pods holds the module), the EnvoyFilter
        // that points at the file after it (only where, besides, every pod mounts the cache). A workload still waiting
        // keeps whatever it has now, neither updated nor deleted: see ModuleDistributionGate.
        if (distribution is not null)
        {
            var waiting = distribution.Workloads.Where(w => !w.MayPoint).Select(w => FilterDeploymentTranslator.ResourceName(w.Workload.Name, id)).ToHashSet(StringComparer.Ordinal);
            wanted = [.. wanted.Where(r => !waiting.Contains(r.Name))];
            current = [.. current.Where(r => !waiting.Contains(r.Metadata.Name))];
        }

        // Pod-template annotations (HostPath delivery): add where wanted...
        foreach (var patch in translation.WorkloadPatches)
        {
            if (rivals.ContainsKey((patch.Workload.Kind, patch.Workload.Name))
                || distribution?.For(patch.Workload.Kind, patch.Workload.Name) is { MayAnnotate: false })
            {
                continue;
            }

            if (await _workloads.PatchPodTemplateAnnotationsAsync(patch.Workload, patch.PodTemplateAnnotations, cancellationToken).ConfigureAwait(false))
            {
                _metrics.Wrote(patch.Workload.Kind.ToString(), "patch");
                changes.Add($"annotated {patch.Workload.Kind} {patch.Workload.Name}");
            }
        }

        foreach (var action in ResourcePlan.Compute(wanted, current))
        {
            ResourceActionKind? done;
            try
            {
                done = await _owned.ExecuteAsync(action, cancellationToken).ConfigureAwait(false);
            }
            catch (NameConflictException ex)
            {
                conflicts.Add((action.Name, ex.Message));
                continue;
            }

            if (done is { } kind)
            {
                _metrics.Wrote(action.ResourceKind, kind.ToString().ToLowerInvariant());
                changes.Add(string.Create(CultureInfo.InvariantCulture, $"{Verb(kind)} {action.ResourceKind} {action.Name}"));
            }
        }

        // ...and take them back, after the objects that pointed at the file are gone where no longer wanted (workload deselected, or delivery changed).
        var wantsHostPath = (deployment.Spec.Deployment?.Istio?.Delivery ?? DeliveryMode.Remote) == DeliveryMode.HostPath;
        var selected = translation.SelectedWorkloads.Select(w => (w.Kind, w.Name)).ToHashSet();
        // The id's annotation entry on a workload an older rival holds is the rival's, not ours to take back.
        foreach (var workload in _workloads.InNamespace(ns!))
        {
            if ((wantsHostPath && selected.Contains((workload.Kind, workload.Name))) || rivals.ContainsKey((workload.Kind, workload.Name)))
            {
                continue;
            }

            changes.AddRange(await UndoAnnotationsAsync(workload, id, cancellationToken).ConfigureAwait(false));
        }

        changes.AddRange(await UndoFormerIdsAsync(deployment, formerIds, cancellationToken).ConfigureAwait(false));
        return (changes, conflicts);
    }

    // The ids (other than the current one) this FilterDeployment's objects carry: what spec.filter.id was before an edit.
    private static List<string> FormerIds(IEnumerable<GenericResource> owned, string currentId) =>
        [.. owned
            .Select(r => ValueOf(r.Metadata.Labels, WasmeMetadata.FilterIdLabel))
            .OfType<string>()
            .Where(i => i != currentId)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];

    private static string? ValueOf(IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// Takes a former id's annotation entry off the workloads none of this FilterDeployment's objects with that id points
    /// at any more (they are deleted first), unless another FilterDeployment with that id selects the workload: its entry.
    /// </summary>
    private async Task<List<string>> UndoFormerIdsAsync(FilterDeployment deployment, List<string> formerIds, CancellationToken cancellationToken)
    {
        var changes = new List<string>();
        if (formerIds.Count == 0)
        {
            return changes;
        }

        var ns = deployment.Metadata.NamespaceProperty!;
        var remaining = _owned.OwnedBy(ns, deployment.Metadata.Name, deployment.Metadata.Uid);
        var workloads = _workloads.InNamespace(ns);
        foreach (var formerId in formerIds)
        {
            var pointedAt = remaining
                .Where(r => ValueOf(r.Metadata.Labels, WasmeMetadata.FilterIdLabel) == formerId)
                .Select(r => ValueOf(r.Metadata.Annotations, WasmeMetadata.WorkloadAnnotation))
                .OfType<string>()
                .ToHashSet(StringComparer.Ordinal);
            var others = FilterIdClaims.Rivals(deployment, _deployments.List(ns), workloads, olderOnly: false, formerId);
            foreach (var workload in workloads.Where(w => !others.ContainsKey((w.Kind, w.Name)) && !pointedAt.Contains($"{w.Kind}/{w.Name}")))
            {
                changes.AddRange(await UndoAnnotationsAsync(workload, formerId, cancellationToken).ConfigureAwait(false));
            }
        }

        return changes;
    }

    /// <summary>HostPath only: how far each selected workload may go, recorded in the status (ModuleDistributed, nodes).</summary>
    private async Task<DistributionReport?> CheckDistributionAsync(
        FilterDeployment deployment,
        TranslationResult translation,
        IReadOnlyDictionary<(WorkloadKind Kind, string Name), FilterDeployment> rivals,
        ImageFacts image,
        FilterDeploymentStatusBuilder status,
        CancellationToken cancellationToken)
    {
        if (_distribution is null || (deployment.Spec.Deployment?.Istio?.Delivery ?? DeliveryMode.Remote) != DeliveryMode.HostPath)
        {
            status.Status.Nodes = null;
            status.Status.NodesReady = null;
            status.Remove(ConditionTypes.ModuleDistributed);
            return null;
        }

        var workloads = translation.SelectedWorkloads.Where(w => !rivals.ContainsKey((w.Kind, w.Name))).ToList();
        var report = await _distribution.CheckAsync(workloads, image.ModuleSha256, cancellationToken).ConfigureAwait(false);
        var (distributed, reason, message) = _distribution.Distributed(report);
        status.Condition(ConditionTypes.ModuleDistributed, distributed, reason, message);
        status.Status.Nodes = [.. report.Nodes];
        status.Status.NodesReady = report.NodesReady;
        return report;
    }

    private async Task<IEnumerable<string>> UndoAnnotationsAsync(Workload workload, string filterId, CancellationToken cancellationToken)
    {
        var undo = FilterDeploymentTranslator.Undo(workload, filterId);
        if (undo.IsEmpty || !await _workloads.PatchPodTemplateAnnotationsAsync(workload, undo, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        _metrics.Wrote(workload.Kind.ToString(), "patch");
        return [$"restored annotations of {workload.Kind} {workload.Name}"];
    }

    private async Task FinalizeAsync(ObjectKey key, FilterDeployment deployment, CancellationToken cancellationToken)
    {
        if (deployment.Metadata.Finalizers?.Contains(FilterDeploymentReconcilerOptions.Finalizer) != true)
        {
            return;
        }

        var changes = new List<string>();
        var id = FilterDeploymentValidator.EffectiveId(deployment);
        var owns = _owned.OwnedBy(key.Namespace, key.Name, deployment.Metadata.Uid);
        var formerIds = FormerIds(owns, id);
        foreach (var owned in owns)
        {
            var action = new ResourceAction(ResourceActionKind.Delete, owned.Kind, owned.Metadata.NamespaceProperty, owned.Metadata.Name, null, owned);
            await _owned.ExecuteAsync(action, cancellationToken).ConfigureAwait(false);
            _metrics.Wrote(owned.Kind, "delete");
            changes.Add($"deleted {owned.Kind} {owned.Metadata.Name}");
        }

        var workloads = _workloads.InNamespace(key.Namespace!);
        // Where another FilterDeployment with the same id selects the workload, the annotation entry passes on to it.
        var shared = FilterIdClaims.Rivals(deployment, _deployments.List(key.Namespace), workloads, olderOnly: false);
        foreach (var workload in workloads.Where(w => !shared.ContainsKey((w.Kind, w.Name))))
        {
            changes.AddRange(await UndoAnnotationsAsync(workload, id, cancellationToken).ConfigureAwait(false));
        }

        changes.AddRange(await UndoFormerIdsAsync(deployment, formerIds, cancellationToken).ConfigureAwait(false));
        var finalizers = deployment.Metadata.Finalizers.Where(f => f != FilterDeploymentReconcilerOptions.Finalizer).ToList();
        await PatchFinalizersAsync(deployment, finalizers, cancellationToken).ConfigureAwait(false);
        _resolved.TryRemove(key, out _);
        await _events.RecordAsync(deployment, EventTypes.Normal, "Removed", changes.Count == 0 ? "nothing to remove" : string.Join("; ", changes), cancellationToken).ConfigureAwait(false);
        Log.Finalized(_logger, key.ToString(), changes.Count);
    }

    private async Task<FilterDeployment> EnsureFinalizerAsync(FilterDeployment deployment, CancellationToken cancellationToken)
    {
        if (deployment.Metadata.Finalizers?.Contains(FilterDeploymentReconcilerOptions.Finalizer) == true)
        {
            return deployment;
        }

        var finalizers = (deployment.Metadata.Finalizers ?? []).Append(FilterDeploymentReconcilerOptions.Finalizer).ToList();
        return await PatchFinalizersAsync(deployment, finalizers, cancellationToken).ConfigureAwait(false);
    }

    // A merge patch with the resourceVersion: a concurrent change to the finalizer list gets 409 and a retry, never a lost entry.
    private async Task<FilterDeployment> PatchFinalizersAsync(FilterDeployment deployment, List<string> finalizers, CancellationToken cancellationToken)
    {
        var patch = new System.Text.Json.Nodes.JsonObject
        {
            ["metadata"] = new System.Text.Json.Nodes.JsonObject
            {
                ["resourceVersion"] = deployment.Metadata.ResourceVersion,
                ["finalizers"] = new System.Text.Json.Nodes.JsonArray([.. finalizers.Select(f => (System.Text.Json.Nodes.JsonNode?)f)]),
            },
        };
        var updated = await _deploymentClient.MergePatchAsync(deployment.Metadata.NamespaceProperty, deployment.Metadata.Name, patch.ToJsonString(), cancellationToken).ConfigureAwait(false);
        _metrics.Wrote(FilterDeployment.KubeKind, "patch");
        _deployments.Remember(updated);
        return updated;
    }

    private async Task WriteStatusAsync(FilterDeployment deployment, FilterDeploymentStatusBuilder builder, CancellationToken cancellationToken)
    {
        var next = builder.Build();
        if (FilterDeploymentStatusBuilder.SameAs(deployment.Status, next))
        {
            return;
        }

        var previousReady = FilterDeploymentStatusBuilder.Find(deployment.Status, ConditionTypes.Ready);
        var ready = FilterDeploymentStatusBuilder.Find(next, ConditionTypes.Ready);
        var copy = Copy(deployment);
        copy.Status = next;
        var updated = await _deploymentClient.ReplaceStatusAsync(copy, cancellationToken).ConfigureAwait(false);
        _metrics.Wrote(FilterDeployment.KubeKind, "status");
        _deployments.Remember(updated);

        // Events only when the outcome changes, not on every retry.
        if (ready is not null && ready.Status != "True" && (previousReady?.Reason != ready.Reason || previousReady?.Message != ready.Message))
        {
            await _events.RecordAsync(deployment, EventTypes.Warning, ready.Reason, ready.Message, cancellationToken).ConfigureAwait(false);
        }
        else if (ready?.Status == "True")
        {
            // Ready with a warning condition (registry outage, signature check under Warn): one Event per new reason.
            foreach (var type in new[] { ConditionTypes.ImageResolved, ConditionTypes.Verified })
            {
                if (FilterDeploymentStatusBuilder.Find(next, type) is { Status: "False" } warning
                    && FilterDeploymentStatusBuilder.Find(deployment.Status, type)?.Reason != warning.Reason)
                {
                    await _events.RecordAsync(deployment, EventTypes.Warning, warning.Reason, warning.Message, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static FilterDeployment Copy(FilterDeployment deployment) => new()
    {
        ApiVersion = deployment.ApiVersion,
        Kind = deployment.Kind,
        Metadata = deployment.Metadata,
        Spec = deployment.Spec,
        Status = deployment.Status,
    };

    private static string MissingCrdMessage(ResourceType type) => type == ResourceType.WasmPlugin
        ? $"the {type.Kind} CRD ({type}) is not installed in this cluster: install Istio 1.12 or later, or set spec.deployment.istio.delivery to Remote (or HostPath)"
        : $"the {type.Kind} CRD ({type}) is not installed in this cluster: install Istio, whose CRDs include it";

    private static string Describe(IReadOnlyList<ValidationProblem> problems) => string.Join("; ", problems.Select(p => p.ToString()));

    private static string Verb(ResourceActionKind kind) => kind switch
    {
        ResourceActionKind.Create => "created",
        ResourceActionKind.Update => "updated",
        _ => "deleted",
    };

    private sealed record ResolvedImage(string Image, long? Generation, ImageFacts Facts, DateTimeOffset ResolvedAt, string? PullSecretType);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Image {Image} moved from {Previous} to {Current}")]
        public static partial void ImageMoved(ILogger logger, string image, string previous, string current);

        [LoggerMessage(2, LogLevel.Information, "Finalized {Key}: {Changes} changes undone")]
        public static partial void Finalized(ILogger logger, string key, int changes);
    }
}
