using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Admission.PodSecurity;
using Wasme.Testing.Kubernetes.Apply;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Patching;
using Wasme.Testing.Kubernetes.Schema;
using Wasme.Testing.Kubernetes.Selectors;
using Wasme.Testing.Kubernetes.Storage;

using Wasme.Testing.Kubernetes.Validation;

namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>
/// The verbs of the Kubernetes REST API over the store: what kube-apiserver's generic registry does
/// (metadata stamping, preconditions, status subresource, generation, schema, finalizers) independent of HTTP.
/// </summary>
internal sealed class ResourceService
{
    private const string ForegroundDeletion = "foregroundDeletion";
    private const string PatchTypesForCustom = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";
    private const string PatchTypes = "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml";
    private static readonly ResourceType NamespaceType = BuiltInResources.All.Single(r => r.Plural == "namespaces");

    private readonly ObjectStore _store;
    private readonly ResourceRegistry _registry;
    private readonly TimeProvider _time;
    private readonly bool _autoCreateNamespaces;
    private readonly PodSecurityAdmission _podSecurity;
    private readonly Admission.Istio.IstioValidationWebhook _istio = new();
    private readonly FieldManager _fields;

    public ResourceService(ObjectStore store, ResourceRegistry registry, TimeProvider time, bool autoCreateNamespaces)
    {
        _store = store;
        _registry = registry;
        _time = time;
        _autoCreateNamespaces = autoCreateNamespaces;
        _podSecurity = new PodSecurityAdmission(store);
        _fields = new FieldManager(time);
    }

    /// <summary>Raised after a delete marked or removed an object, so garbage collection can look again.</summary>
    public event Action? DeletionRequested;

    public ResourceRegistry Registry => _registry;

    /// <summary>Whether istiod's validating webhook stand-in judges Istio config writes (see <c>Admission/Istio</c>).</summary>
    public bool IstioValidationWebhook { get => _istio.Enabled; set => _istio.Enabled = value; }

    public JsonObject Get(ResourceType type, string? ns, string name) =>
        Present(type, _store.Get(Key(type, ns, name)) ?? throw ApiException.NotFound(type, name));

    public JsonObject List(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields)
    {
        FieldLabels.Check(type, fields);
        var (items, revision) = _store.List(type.Group, type.Plural, type.Namespaced ? ns : null);
        var selected = items
            .Select(i => Present(type, i.Object))
            .Where(o => labels.Matches(o.Labels()) && fields.Matches(o))
            .Select(o => (JsonNode)o)
            .ToArray();
        return new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(revision) },
            ["items"] = new JsonArray(selected),
        };
    }

    public JsonObject Create(ResourceType type, string? ns, JsonObject body, WriteOptions options) => Create(type, ns, body, options, applied: false);

    private JsonObject Create(ResourceType type, string? ns, JsonObject body, WriteOptions options, bool applied)
    {
        var obj = body.CloneObject();
        CheckTypeMeta(type, obj);
        var metadata = obj.Metadata();
        ns = ResolveNamespace(type, ns, obj);
        if (string.IsNullOrEmpty(obj.Name()) && metadata.GetString("generateName") is { Length: > 0 } prefix)
        {
            metadata["name"] = ObjectMetadata.GenerateName(prefix, RandomSuffix());
        }

        var name = obj.Name();
        if (type.IsCustom && _store.Get(new ObjectKey("apiextensions.k8s.io", "customresourcedefinitions", "", $"{type.Plural}.{type.Group}")) is { } crd
            && CustomResourceDefinitions.IsTerminating(crd))
        {
            // apiextensions-apiserver's handler wraps admission so that nothing new appears while the CRD finalizer deletes.
            throw new ApiException(403, "Forbidden",
                $"{type.QualifiedResource} \"{name}\" is forbidden: create not allowed while custom resource definition is terminating", ApiException.DetailsOf(type, name));
        }

        var requestedVersion = metadata.GetString("resourceVersion");
        foreach (var key in new[] { "uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "creationTimestamp", "selfLink" })
        {
            metadata.Remove(key);
        }

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Now();
        if (type.TracksGeneration || type.IsCustom)
        {
            metadata["generation"] = 1;
        }

        if (type.HasStatusSubresource && type.Plural != "namespaces")
        {
            obj.Remove("status");
        }

        if (type.Plural == "namespaces")
        {
            obj["status"] = new JsonObject { ["phase"] = "Active" };
            NamespaceDefaults(obj, null);
        }

        if (type.Namespaced)
        {
            // NamespaceLifecycle admits (mutating phase) before the object is validated.
            CheckNamespace(ns!, type, name);
        }

        var errors = new List<FieldError>(type.Group == Authorization.RbacNames.Group ? Authorization.RbacNames.Validate(name).Concat(ObjectMetadata.ValidateUpdate(obj)) : ObjectMetadata.ValidateCreate(type, obj));
        Admit(type, obj, null, errors, options);
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(type, name, errors);
        }

        _podSecurity.Validate(type, obj, old: null, subresource: null, options.Warnings);
        _istio.Validate(type, obj, subresource: null, options.Warnings);
        if (type.IsCustom)
        {
            options.Warnings.AddRange(ObjectMetadata.FinalizerWarnings(obj, old: null));
        }

        if (!applied)
        {
            _fields.Update(type, null, obj, FieldManager.ManagerOf(options), subresource: null);
        }

        if (type.Namespaced)
        {
            EnsureNamespace(ns!, options.DryRun, type, name);
        }

        if (options.DryRun)
        {
            return Present(type, obj);
        }

        // etcd3's store refuses a create that carries a (numeric, non-zero) version, after validation and admission, with an
        // error that is not a Status: kube-apiserver answers 500 with its text. Dry runs never reach it.
        if (ulong.TryParse(requestedVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) && version != 0)
        {
            throw new ApiException(500, "", "resourceVersion should not be set on objects to be created");
        }

        var created = _store.Create(Key(type, ns, name), obj, () => ApiException.AlreadyExists(type, name));
        AfterWrite(type, created);
        return Present(type, created);
    }

    public JsonObject Replace(ResourceType type, string? ns, string name, JsonObject body, string? subresource, WriteOptions options)
    {
        CheckTypeMeta(type, body);

        // The update handler: EnsureObjectNamespaceMatchesRequestNamespace, then checkName.
        ResolveNamespace(type, ns, body);
        if (body.Name() is { Length: > 0 } bodyName && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        if (type.IsCustom && body.ResourceVersion() is null)
        {
            // The generic registry looks the object up first, then names the resource (not the kind) and prints
            // the missing version as Go's %#v of uint64 0: kubectl shows 'The filterdeployments "x" is invalid: ...'.
            // The status strategy allows no unconditional update either.
            _ = _store.Get(Key(type, ns, name)) ?? throw ApiException.NotFound(type, name);
            var details = ApiException.DetailsOf(type, name);
            details["causes"] = new JsonArray(new JsonObject
            {
                ["reason"] = "FieldValueInvalid",
                ["message"] = "Invalid value: 0x0: must be specified for an update",
                ["field"] = "metadata.resourceVersion",
            });
            throw new ApiException(422, "Invalid",
                $"{type.QualifiedResource} \"{name}\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", details);
        }

        return Write(type, ns, name, options, current => body.CloneObject(), subresource);
    }

    public JsonObject Patch(ResourceType type, string? ns, string name, string contentType, string patchText, string? subresource, bool force, WriteOptions options)
    {
        var mediaType = contentType.Split(';')[0].Trim();
        if (mediaType == "application/apply-patch+yaml")
        {
            return Apply(type, ns, name, patchText, subresource, options, force);
        }

        JsonNode patch;
        try
        {
            patch = JsonNode.Parse(patchText) ?? throw new JsonException("empty patch");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"error decoding patch: {e.Message}");
        }

        Func<JsonObject, JsonObject> patcher = mediaType switch
        {
            "application/merge-patch+json" when patch is JsonObject merge => current => (JsonObject)JsonMergePatch.Apply(current, merge)!,
            "application/json-patch+json" when patch is JsonArray operations => current => JsonPatch.Apply(current, operations) as JsonObject
                ?? throw ApiException.BadRequest("a JSON patch must leave an object"),
            "application/strategic-merge-patch+json" when type.IsCustom => throw ApiException.UnsupportedPatchType(PatchTypesForCustom),
            "application/strategic-merge-patch+json" when patch is JsonObject strategic => current => StrategicMergePatch.Apply(current, strategic),
            "application/merge-patch+json" or "application/json-patch+json" or "application/strategic-merge-patch+json" =>
                throw ApiException.BadRequest($"the patch has the wrong shape for {mediaType}"),
            _ => throw ApiException.UnsupportedPatchType(type.IsCustom ? PatchTypesForCustom : PatchTypes),
        };
        return Write(type, ns, name, options, patcher, subresource);
    }

    public JsonObject Delete(ResourceType type, string? ns, string name, DeleteOptions options)
    {
        var key = Key(type, ns, name);
        var current = _store.Get(key) ?? throw ApiException.NotFound(type, name);
        CheckPreconditions(type, name, current, options);
        var isNamespace = IsNamespace(type);
        if (isNamespace && current.IsBeingDeleted() && current["spec"]?["finalizers"] is JsonArray { Count: > 0 })
        {
            // The namespace registry: once terminating, only the namespace controller's finalize lets it go.
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on namespaces \"{name}\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
                ApiException.DetailsOf(type, name));
        }

        var policy = options.PropagationPolicy ?? "Background";
        var finalizers = current.Finalizers().ToList();
        if (policy == "Foreground" && !finalizers.Contains(ForegroundDeletion))
        {
            finalizers.Add(ForegroundDeletion);
        }

        var isCrd = IsCrd(type);
        if (isCrd && !finalizers.Contains(CustomResourceDefinitions.CleanupFinalizer))
        {
            // The CRD registry adds its finalizer on the first delete, so the CRD finalizer can delete every instance first.
            finalizers.Add(CustomResourceDefinitions.CleanupFinalizer);
        }

        if (finalizers.Count == 0 && !isNamespace)
        {
            if (options.DryRun)
            {
                return SuccessStatus(type, current);
            }

            if (policy == "Orphan")
            {
                Orphan(current.Uid());
            }

            var removed = _store.Remove(key, () => ApiException.NotFound(type, name));
            AfterRemove(type, removed);
            DeletionRequested?.Invoke();
            return SuccessStatus(type, removed);
        }

        // The object stays, marked, until its finalizers are gone (namespaces: until they are empty).
        JsonObject Mark(JsonObject obj)
        {
            var metadata = obj.Metadata();
            if (metadata["deletionTimestamp"] is null && !isNamespace && !isCrd && metadata["generation"] is { } value
                && long.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and var generation)
            {
                // Being deleted changes what controllers must do, so the registry bumps the generation once (the
                // namespace and CRD registries mark their objects themselves, without it).
                metadata["generation"] = generation + 1;
            }

            metadata["deletionTimestamp"] ??= Now();
            metadata["deletionGracePeriodSeconds"] ??= 0;
            metadata["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
            if (isNamespace)
            {
                obj["status"] = new JsonObject { ["phase"] = "Terminating" };
            }

            if (isCrd)
            {
                CustomResourceDefinitions.SetCondition(obj, CustomResourceDefinitions.Terminating(
                    "True", "InstanceDeletionPending", "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon", Now()));
            }

            return obj;
        }

        if (options.DryRun)
        {
            return Present(type, Mark(current.CloneObject()));
        }

        if (policy == "Orphan")
        {
            Orphan(current.Uid());
        }

        var marked = _store.Update(key, Mark, () => ApiException.NotFound(type, name));
        if (isCrd)
        {
            // A terminating CRD still serves its instances, but discovery offers no verb that would create one.
            _registry.SetCustom(marked.Name(), CustomResourceDefinitions.ServedResources(marked)
                .Select(r => r with { Verbs = CustomResourceDefinitions.TerminatingVerbs }).ToList());
        }

        // The namespace controller and the CRD finalizer (in the garbage collector's loop) empty what is marked.
        DeletionRequested?.Invoke();
        return Present(type, marked);
    }

    /// <summary>Removes a finalizer on behalf of a built-in controller (garbage collector, namespace controller).</summary>
    internal void RemoveFinalizer(ResourceType type, JsonObject obj, string finalizer)
    {
        try
        {
            Write(type, obj.Namespace(), obj.Name(), WriteOptions.Default, current =>
            {
                if (current["metadata"]?["finalizers"] is JsonArray list)
                {
                    foreach (var item in list.Where(f => f?.GetValue<string>() == finalizer).ToList())
                    {
                        list.Remove(item);
                    }
                }

                return current;
            }, subresource: null);
        }
        catch (ApiException e) when (e.Code == 404)
        {
            // Already gone.
        }
    }

    /// <summary>A built-in controller's status write (CRD finalizer, namespace controller); true when it changed the object.</summary>
    internal bool WriteStatusAsController(ResourceType type, JsonObject obj, string manager, Action<JsonObject> change)
    {
        try
        {
            var written = Write(type, obj.Namespace(), obj.Name(), new WriteOptions { FieldManager = manager }, current =>
            {
                change(current);
                return current;
            }, "status");
            return written.ResourceVersion() != obj.ResourceVersion();
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// The namespace controller's finalize call once the namespace is empty: takes the <c>kubernetes</c> finalizer out of
    /// spec, then removes the namespace when no finalizer (spec or metadata) is left. True when it changed something.
    /// </summary>
    internal bool FinalizeNamespace(string name)
    {
        var key = new ObjectKey("", "namespaces", "", name);
        try
        {
            var finalized = _store.Update(key, ns =>
            {
                if (ns["spec"]?["finalizers"] is JsonArray list)
                {
                    foreach (var item in list.Where(f => f?.GetValue<string>() == "kubernetes").ToList())
                    {
                        list.Remove(item);
                    }
                }

                return ns;
            }, () => ApiException.NamespaceNotFound(name));
            if (finalized["spec"]?["finalizers"] is JsonArray { Count: > 0 } || finalized.Finalizers().Count > 0 || HasNamespacedObjects(name))
            {
                return false;
            }

            _store.Remove(key, () => ApiException.NamespaceNotFound(name));
            return true;
        }
        catch (ApiException)
        {
            return false;
        }
    }

    private static bool IsNamespace(ResourceType type) => type.Plural == "namespaces" && type.Group.Length == 0;

    private static bool IsCrd(ResourceType type) => type.Group == "apiextensions.k8s.io" && type.Plural == "customresourcedefinitions";

    internal bool HasNamespacedObjects(string ns) => _store.Any((key, _) => key.Namespace == ns);

    internal ResourceType? TypeOf(ObjectKey key) =>
        _registry.All.FirstOrDefault(r => r.Group == key.Group && r.Plural == key.Resource);

    private JsonObject Apply(ResourceType type, string? ns, string name, string yaml, string? subresource, WriteOptions options, bool force)
    {
        if (string.IsNullOrEmpty(options.FieldManager))
        {
            throw ApiException.BadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        }

        JsonObject applied;
        try
        {
            applied = YamlJson.ParseDocument(yaml) as JsonObject ?? throw ApiException.BadRequest("apply patch must be an object");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw ApiException.BadRequest($"error decoding YAML: {e.Message}");
        }

        RefuseUndeclaredFields(type, applied);
        if (_store.Get(Key(type, ns, name)) is null)
        {
            if (subresource is not null)
            {
                throw ApiException.NotFound(type, name);
            }

            applied.Metadata()["name"] = name;
            return Create(type, ns, _fields.Apply(type, null, applied, options.FieldManager, null, force), options, applied: true);
        }

        return Write(type, ns, name, options, current => _fields.Apply(type, current, applied, options.FieldManager, subresource, force), subresource, applied: true);
    }

    /// <summary>
    /// structured-merge-diff types an applied configuration against the schema before it merges anything: a field the
    /// schema does not declare fails the apply whatever fieldValidation says (an update would prune it), as a 500 whose
    /// message kubectl prints after "Error from server:".
    /// </summary>
    private static void RefuseUndeclaredFields(ResourceType type, JsonObject applied)
    {
        if (type.Schema is null)
        {
            return;
        }

        var undeclared = type.Schema.PruneAndDefault(applied.CloneObject()).Select(path => $".{path}: field not declared in schema").Order(StringComparer.Ordinal).ToList();
        if (undeclared.Count == 0)
        {
            return;
        }

        var errors = undeclared.Count == 1 ? undeclared[0] : "errors:\n" + string.Join("\n", undeclared.Select(e => "  " + e));
        var version = type.Group.Length == 0 ? $"/{type.Version}" : $"{type.Group}/{type.Version}";
        // The object is named as the configuration names it, not as the URL does.
        throw new ApiException(500, "", $"failed to create typed patch object ({applied.Namespace()}/{applied.Name()}; {version}, Kind={type.Kind}): {errors}");
    }

    private JsonObject Write(ResourceType type, string? ns, string name, WriteOptions options, Func<JsonObject, JsonObject> change, string? subresource, bool applied = false)
    {
        var key = Key(type, ns, name);
        JsonObject Mutate(JsonObject stored)
        {
            var current = FromStorage(type, stored);
            var next = change(current.CloneObject());
            CheckTypeMeta(type, next);
            CheckNameAndNamespace(type, ns, name, next);
            if (next.ResourceVersion() is { } wanted && wanted != current.ResourceVersion())
            {
                throw ApiException.Conflict(type, name);
            }

            var metadata = next.Metadata();
            var old = current.Metadata();
            foreach (var immutable in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name" })
            {
                if (immutable == "uid" && metadata.GetString("uid") is { Length: > 0 })
                {
                    // rest.BeforeUpdate fills in a missing uid; a different one is judged (field is immutable).
                    continue;
                }

                if (old[immutable] is { } value)
                {
                    metadata[immutable] = value.DeepClone();
                }
                else
                {
                    metadata.Remove(immutable);
                }
            }

            if (subresource == "status")
            {
                // A status write changes status only, whatever else the body says.
                var status = next["status"]?.DeepClone();
                var managedFields = next["metadata"]?["managedFields"]?.DeepClone();
                next = current.CloneObject();
                next["status"] = status;
                next.Metadata()["managedFields"] = managedFields;
            }
            else if (type.HasStatusSubresource)
            {
                next["status"] = current["status"]?.DeepClone();
                if (next["status"] is null)
                {
                    next.Remove("status");
                }
            }

            if (type.Plural == "namespaces" && type.Group.Length == 0)
            {
                NamespaceDefaults(next, current);
            }

            if (current.IsBeingDeleted())
            {
                var added = next.Finalizers().Except(current.Finalizers()).ToList();
                if (added.Count > 0)
                {
                    throw ApiException.Invalid(type, name, [FieldError.Forbidden("metadata.finalizers", $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{\"{string.Join("\", \"", added)}\"}}")]);
                }
            }

            var errors = new List<FieldError>();
            Admit(type, next, current, errors, options);
            if (errors.Count > 0)
            {
                throw ApiException.Invalid(type, name, errors);
            }

            _podSecurity.Validate(type, next, current, subresource, options.Warnings);
            _istio.Validate(type, next, subresource, options.Warnings);
            if (type.IsCustom && subresource is null)
            {
                options.Warnings.AddRange(ObjectMetadata.FinalizerWarnings(next, current));
            }

            if ((type.TracksGeneration || type.IsCustom) && subresource is null && SpecChanged(type, current, next))
            {
                var generation = old["generation"] is { } value ? long.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) : 0;
                metadata["generation"] = generation + 1;
            }

            if (!applied)
            {
                _fields.Update(type, current, next, FieldManager.ManagerOf(options), subresource);
            }

            return next;
        }

        if (options.DryRun)
        {
            var current = _store.Get(key) ?? throw ApiException.NotFound(type, name);
            return Present(type, Mutate(current));
        }

        var written = _store.Update(key, Mutate, () => ApiException.NotFound(type, name));
        if (written.IsBeingDeleted() && written.Finalizers().Count == 0 && !(type.Plural == "namespaces" && HasNamespacedObjects(name)))
        {
            // Removing the last finalizer of a deleted object completes the delete.
            try
            {
                var removed = _store.Remove(key, () => ApiException.NotFound(type, name));
                AfterRemove(type, removed);
                DeletionRequested?.Invoke();
                return Present(type, removed);
            }
            catch (ApiException e) when (e.Code == 404)
            {
                return Present(type, written);
            }
        }

        AfterWrite(type, written);
        return Present(type, written);
    }

    /// <summary>
    /// What kube-apiserver gives every Namespace on every write: its name as the kubernetes.io/metadata.name label
    /// (defaulting, so no write can change or remove it), and the kubernetes finalizer in spec on create, which only
    /// the namespace controller's finalize call takes away.
    /// </summary>
    private static void NamespaceDefaults(JsonObject ns, JsonObject? old)
    {
        var metadata = ns.Metadata();
        if (metadata["labels"] is not JsonObject labels)
        {
            labels = [];
            metadata["labels"] = labels;
        }

        labels["kubernetes.io/metadata.name"] = ns.Name();
        if (old is null)
        {
            var spec = ns["spec"] as JsonObject ?? [];
            ns["spec"] = spec;
            var finalizers = spec["finalizers"] as JsonArray ?? [];
            if (!finalizers.Any(f => f?.ToString() == "kubernetes"))
            {
                finalizers.Add("kubernetes");
            }

            spec["finalizers"] = finalizers;
        }
        else if (old["spec"]?["finalizers"] is { } kept)
        {
            ns["spec"] = ns["spec"] as JsonObject ?? [];
            ns["spec"]!["finalizers"] = kept.DeepClone();
        }
    }

    /// <summary>Schema pruning, defaulting and validation, plus the checks the server makes of CRDs.</summary>
    private static void Admit(ResourceType type, JsonObject obj, JsonObject? old, List<FieldError> errors, WriteOptions options)
    {
        if (old is not null)
        {
            errors.AddRange(ObjectMetadata.ValidateUpdate(obj, old));
        }

        if (type.Schema is { } schema)
        {
            JudgeUnknownFields(type, [.. ObjectMetadata.PruneUnknown(obj), .. schema.PruneAndDefault(obj)], options);
            errors.AddRange(schema.Validate(obj));

            // Validated as decoded (int64 or float64), stored as Go writes them back: 1.0 becomes 1.
            GoJsonNumbers.Canonicalize(obj);
        }
        else if (BuiltInFields.ModelOf(type.Group, type.Version, type.Kind) is { } model)
        {
            // A value of the wrong type fails the decode itself, whatever fieldValidation says.
            var (typeError, unknown) = BuiltInFields.Judge(obj, model);
            if (typeError is not null)
            {
                throw ApiException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: {typeError}");
            }

            if (BuiltInValidation.DecodeError(type, obj) is { } decodeError)
            {
                throw ApiException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: {decodeError}");
            }

            JudgeUnknownFields(type, unknown, options);
            errors.AddRange(BuiltInValidation.Validate(type, obj, old));
        }

        if (type.Rules is { } rules)
        {
            errors.AddRange(rules.Validate(obj, old, errors, options.Warnings));
        }

        if (type.Group == "apiextensions.k8s.io" && type.Plural == "customresourcedefinitions")
        {
            if (old is not null)
            {
                CustomResourceDefinitions.RecordStorageVersion(obj);
            }

            errors.AddRange(CustomResourceDefinitions.Validate(obj, old));
        }
    }

    /// <summary>Fields the type does not declare (already dropped): refused, warned about or ignored as the request asks.</summary>
    private static void JudgeUnknownFields(ResourceType type, List<string> unknown, WriteOptions options)
    {
        if (unknown.Count == 0)
        {
            return;
        }

        switch (options.FieldValidation)
        {
            case "Strict":
                throw ApiException.BadRequest(
                    $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
            case "Warn":
                options.Warnings.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
                break;
        }
    }

    private void AfterWrite(ResourceType type, JsonObject written)
    {
        if (type.Group != "apiextensions.k8s.io" || type.Plural != "customresourcedefinitions" || written.IsBeingDeleted())
        {
            return;
        }

        _registry.SetCustom(written.Name(), CustomResourceDefinitions.ServedResources(written));
        var status = CustomResourceDefinitions.EstablishedStatus(written, Now());
        if (written["status"] is JsonObject existing && JsonNode.DeepEquals(existing["acceptedNames"], status["acceptedNames"]))
        {
            return;
        }

        // The CRD controller's own write: it follows the create, as in a real cluster.
        _store.Update(new ObjectKey(type.Group, type.Plural, "", written.Name()), crd =>
        {
            var before = crd.CloneObject();
            crd["status"] = status;
            _fields.Update(type, before, crd, "kube-apiserver", "status");
            return crd;
        }, () => ApiException.NotFound(type, written.Name()));
    }

    private void AfterRemove(ResourceType type, JsonObject removed)
    {
        if (type.Group == "apiextensions.k8s.io" && type.Plural == "customresourcedefinitions")
        {
            var served = _registry.All.Where(r => r.IsCustom && $"{r.Plural}.{r.Group}" == removed.Name()).ToList();
            _registry.RemoveCustom(removed.Name());
            foreach (var (key, _) in served.Take(1).SelectMany(r => _store.List(r.Group, r.Plural, null).Items))
            {
                try
                {
                    _store.Remove(key, () => ApiException.NotFound(served[0], key.Name));
                }
                catch (ApiException)
                {
                    // Raced with another delete.
                }
            }
        }
    }

    private void Orphan(string ownerUid)
    {
        static bool OwnedBy(JsonObject obj, string uid) =>
            obj["metadata"]?["ownerReferences"] is JsonArray refs && refs.Any(r => r?["uid"]?.GetValue<string>() == uid);
        foreach (var (key, _) in _store.Select((_, obj) => OwnedBy(obj, ownerUid)))
        {
            _store.Update(key, o =>
            {
                var list = (JsonArray)o["metadata"]!["ownerReferences"]!;
                foreach (var r in list.Where(r => r?["uid"]?.GetValue<string>() == ownerUid).ToList())
                {
                    list.Remove(r);
                }

                if (list.Count == 0)
                {
                    o.Metadata().Remove("ownerReferences");
                }

                return o;
            }, () => ApiException.Internal("dependent vanished"));
        }
    }

    private static void CheckPreconditions(ResourceType type, string name, JsonObject current, DeleteOptions options)
    {
        if (options.PreconditionUid is { } uid && uid != current.Uid())
        {
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid()}",
                ApiException.DetailsOf(type, name));
        }

        if (options.PreconditionResourceVersion is { } rv && rv != current.ResourceVersion())
        {
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {current.ResourceVersion()}",
                ApiException.DetailsOf(type, name));
        }
    }

    /// <summary>
    /// Whether an update is a new generation, as each 1.32 strategy judges it: any change outside metadata and status;
    /// for a custom resource without a status subresource, status too (apiextensions-apiserver only leaves metadata out);
    /// for a Deployment, its annotations too (they are copied to its ReplicaSets).
    /// </summary>
    private static bool SpecChanged(ResourceType type, JsonObject current, JsonObject next)
    {
        var statusCounts = type.IsCustom && !type.HasStatusSubresource;
        IEnumerable<KeyValuePair<string, JsonNode?>> Body(JsonObject o) =>
            o.Where(p => p.Key is not ("metadata" or "apiVersion" or "kind") && (statusCounts || p.Key != "status"));
        var before = new JsonObject(Body(current).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var after = new JsonObject(Body(next).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        if (type.Group == "apps" && type.Plural == "deployments")
        {
            before["annotations"] = current["metadata"]?["annotations"]?.DeepClone();
            after["annotations"] = next["metadata"]?["annotations"]?.DeepClone();
        }

        return !JsonNode.DeepEquals(before, after);
    }

    private static void CheckTypeMeta(ResourceType type, JsonObject obj)
    {
        var apiVersion = obj.GetString("apiVersion");
        var kind = obj.GetString("kind");
        if (apiVersion is not null && kind is not null && (kind != type.Kind || apiVersion.Split('/')[0] != (type.Group.Length == 0 ? type.Version : type.Group)))
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }

        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
    }

    /// <summary>
    /// What the update and patch handlers check of the object they are about to write, before its resourceVersion:
    /// EnsureObjectNamespaceMatchesRequestNamespace (a missing namespace is the request's), then checkName.
    /// </summary>
    private static void CheckNameAndNamespace(ResourceType type, string? ns, string name, JsonObject next)
    {
        if (type.Namespaced && next.Namespace() is { Length: > 0 } objectNamespace && objectNamespace != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var objectName = next.Name();
        if (objectName.Length == 0)
        {
            throw ApiException.BadRequest($"the name of the object ({name} based on URL) was undeterminable: name must be provided");
        }

        if (objectName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({objectName}) does not match the name on the URL ({name})");
        }
    }

    private static string? ResolveNamespace(ResourceType type, string? ns, JsonObject obj)
    {
        var metadata = obj.Metadata();
        if (!type.Namespaced)
        {
            metadata.Remove("namespace");
            return null;
        }

        if (string.IsNullOrEmpty(ns))
        {
            throw ApiException.BadRequest("the namespace of the object must be set on the request path");
        }

        if (metadata.GetString("namespace") is { Length: > 0 } bodyNamespace && bodyNamespace != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        metadata["namespace"] = ns;
        return ns;
    }

    /// <summary>The NamespaceLifecycle admission plugin: no content in a missing (unless auto-created) or terminating namespace.</summary>
    private void CheckNamespace(string ns, ResourceType type, string name)
    {
        if (_store.Get(new ObjectKey("", "namespaces", "", ns)) is { } existing)
        {
            if (existing.IsBeingDeleted())
            {
                // The NamespaceLifecycle admission plugin's refusal: about the object, with a cause naming the namespace.
                var details = ApiException.DetailsOf(type, name);
                details["causes"] = new JsonArray(new JsonObject
                {
                    ["reason"] = "NamespaceTerminating",
                    ["message"] = $"namespace {ns} is being terminated",
                    ["field"] = "metadata.namespace",
                });
                throw new ApiException(403, "Forbidden",
                    $"{type.QualifiedResource} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", details);
            }

            return;
        }

        if (!_autoCreateNamespaces)
        {
            throw ApiException.NamespaceNotFound(ns);
        }
    }

    private void EnsureNamespace(string ns, bool dryRun, ResourceType type, string name)
    {
        CheckNamespace(ns, type, name);
        if (!dryRun && _store.Get(new ObjectKey("", "namespaces", "", ns)) is null)
        {
            try
            {
                Create(NamespaceType, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, WriteOptions.Default);
            }
            catch (ApiException e) when (e.Code == 409)
            {
                // Created concurrently.
            }
        }
    }

    private static JsonObject SuccessStatus(ResourceType type, JsonObject removed) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = new JsonObject
        {
            ["name"] = removed.Name(),
            ["group"] = type.Group,
            ["kind"] = type.Plural,
            ["uid"] = removed.Uid(),
        },
    };

    /// <summary>What a client sees: the requested version's apiVersion and kind.</summary>
    internal static JsonObject Present(ResourceType type, JsonObject stored)
    {
        var result = FromStorage(type, stored);
        var ordered = new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind };
        foreach (var (key, value) in result.ToList())
        {
            if (key is not ("apiVersion" or "kind"))
            {
                result.Remove(key);
                ordered[key] = value;
            }
        }

        return ordered;
    }

    /// <summary>
    /// A stored object as kube-apiserver decodes it from etcd, for every read and as the old object of every update:
    /// a custom resource goes through its CRD's schema as it is now (apiextensions-apiserver's schemaCoercingDecoder and
    /// unstructuredDefaulter), so fields a newer CRD drops are gone and its new defaults are there, without a write.
    /// </summary>
    private static JsonObject FromStorage(ResourceType type, JsonObject stored)
    {
        // A round trip through text makes every value JSON-backed, so GetValue<int> and GetValue<long> both work for callers.
        var result = (JsonObject)JsonNode.Parse(stored.ToJsonString())!;
        if (type.Schema is { } schema)
        {
            schema.PruneAndDefault(result);
            GoJsonNumbers.Canonicalize(result);
        }

        return result;
    }

    internal static ObjectKey Key(ResourceType type, string? ns, string name) =>
        new(type.Group, type.Plural, type.Namespaced ? ns ?? "" : "", name);

    internal string Now() => ObjectMetadata.Timestamp(_time.GetUtcNow());

    private static string Rv(long revision) => revision.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
            }
        });
    }
}
