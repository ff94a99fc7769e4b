using System.Text;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Apply;

/// <summary>
/// Field ownership as kube-apiserver's field manager keeps it in <c>metadata.managedFields</c>: every create,
/// update and patch records what its manager changed (operation Update); a server-side apply makes the applied
/// configuration its manager's set, removes what that manager applied before and no longer does (unless
/// someone else owns it), and refuses to change fields other managers own unless forced.
/// </summary>
internal sealed class FieldManager
{
    public const string BeforeFirstApply = "before-first-apply";
    private const string Kubectl = "kubectl";
    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
    private const int MaxManagerLength = 128;

    // Set by the server, never owned (k8s.io/apiserver fieldmanager's stripped fields).
    private static readonly string[] ServerMetadata =
        ["name", "namespace", "creationTimestamp", "selfLink", "uid", "generation", "managedFields", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"];

    private static readonly HashSet<string> KindsWithSpec = new(StringComparer.Ordinal)
    {
        "namespaces", "services", "pods", "nodes", "deployments", "daemonsets", "statefulsets", "replicasets", "leases", "customresourcedefinitions",
    };

    private static readonly FieldSet Ignored = BuildIgnored();

    private readonly TimeProvider _time;

    public FieldManager(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>The manager of a write: the <c>fieldManager</c> parameter, else the user agent up to its first slash.</summary>
    public static string ManagerOf(WriteOptions options)
    {
        if (!string.IsNullOrEmpty(options.FieldManager))
        {
            return options.FieldManager;
        }

        var prefix = new StringBuilder();
        foreach (var rune in (options.UserAgent ?? "").Split('/')[0].EnumerateRunes())
        {
            if (prefix.Length >= MaxManagerLength)
            {
                break;
            }

            if (!Rune.IsControl(rune))
            {
                prefix.Append(rune.ToString());
            }
        }

        return prefix.ToString();
    }

    /// <summary>Records a create (<paramref name="live"/> null) or an update in <paramref name="next"/>'s managedFields.</summary>
    public void Update(ResourceType type, JsonObject? live, JsonObject next, string manager, string? subresource)
    {
        // managedFields sent with the object replace the stored ones (a client may edit them; [{}] clears them);
        // an object sent without them, or to a subresource, keeps the stored ones.
        var entries = ManagedFieldsEntry.Decode(next);
        if (entries.Count == 0 || subresource is not null)
        {
            entries = live is null ? [] : ManagedFieldsEntry.Decode(live);
            if (live is not null && entries.Count == 0)
            {
                // An object nobody has tracked stays untracked until its first apply.
                ManagedFieldsEntry.Encode(next, []);
                return;
            }
        }

        var shape = FieldShape.For(type);
        var comparison = FieldTree.Compare(View(type, live ?? EmptyObject(type), subresource), View(type, next, subresource), shape);
        var changed = comparison.Changed.Difference(Ignored);
        var removed = comparison.Removed.Difference(Ignored);
        var self = new ManagedFieldsEntry(manager, ManagedFieldsEntry.UpdateOperation, type.ApiVersion, Now(), subresource, changed);
        var previous = entries.FirstOrDefault(e => e.SameManager(self));
        // An update takes what it changed from everyone else.
        entries = entries
            .Select(e => e with { Fields = (e == previous ? e.Fields : e.Fields.Difference(changed)).Difference(removed) })
            .ToList();
        if (!changed.IsEmpty)
        {
            entries.RemoveAll(e => e.SameManager(self));
            entries.Add(self with { Fields = (previous?.Fields.Difference(removed) ?? new FieldSet()).Union(changed) });
        }

        ManagedFieldsEntry.Encode(next, entries);
    }

    /// <summary>Server-side apply of <paramref name="config"/> onto <paramref name="live"/> (null: create); returns the object to store.</summary>
    public JsonObject Apply(ResourceType type, JsonObject? live, JsonObject config, string manager, string? subresource, bool force)
    {
        if (config["metadata"]?["managedFields"] is not null)
        {
            throw ApiException.BadRequest("metadata.managedFields must be nil");
        }

        var shape = FieldShape.For(type);
        var entries = live is null ? [] : ManagedFieldsEntry.Decode(live);
        if (live is not null && entries.Count == 0)
        {
            // An object that predates field tracking: everything in it belongs to before-first-apply.
            var existing = FieldTree.Compare(View(type, EmptyObject(type), null), View(type, live, null), shape).Changed.Difference(Ignored);
            entries.Add(new ManagedFieldsEntry(BeforeFirstApply, ManagedFieldsEntry.UpdateOperation, type.ApiVersion, Now(), null, existing));
        }

        var applied = FieldTree.ToFieldSet(View(type, config, subresource), shape).Difference(Ignored);
        var self = new ManagedFieldsEntry(manager, ManagedFieldsEntry.ApplyOperation, type.ApiVersion, null, subresource, applied);
        var previous = entries.FirstOrDefault(e => e.SameManager(self));
        var others = entries.Where(e => e != previous).ToList();

        var merged = FieldTree.Merge(live ?? new JsonObject(), config, shape);
        if (previous is not null)
        {
            // What this manager applied before and applies no more goes, unless someone else owns it too.
            var owned = others.Aggregate(applied, (all, e) => all.Union(e.Fields));
            FieldTree.Remove(merged, previous.Fields.Difference(owned), owned, shape);
        }

        var before = View(type, live ?? new JsonObject(), subresource);
        var comparison = FieldTree.Compare(before, View(type, merged, subresource), shape);
        var changed = comparison.Changed.Difference(Ignored);
        var conflicts = others
            .Select(e => (Entry: e, Fields: e.Fields.Intersection(changed)))
            .Where(c => !c.Fields.IsEmpty)
            .ToList();
        if (conflicts.Count > 0 && !force)
        {
            conflicts = WithoutUpgradedClientSideApply(type, live, manager, conflicts, shape);
            if (conflicts.Count > 0)
            {
                throw ConflictError(conflicts);
            }
        }

        var removed = comparison.Removed.Difference(Ignored);
        var objectChanged = !JsonNode.DeepEquals(WithoutManagedFields(live ?? new JsonObject()), WithoutManagedFields(merged));
        entries = others.Select(e => e with { Fields = e.Fields.Difference(changed).Difference(removed) }).ToList();
        entries.Add(self with { Time = objectChanged || previous is null ? Now() : previous.Time });

        if (manager == Kubectl && live?["metadata"]?["annotations"]?[LastAppliedAnnotation] is not null
            && merged.Metadata()["annotations"] is JsonObject annotations)
        {
            // Keeps client-side apply's record in step, so a later kubectl apply without --server-side diffs correctly.
            annotations[LastAppliedAnnotation] = LastApplied(config);
        }

        ManagedFieldsEntry.Encode(merged, entries);
        return merged;
    }

    /// <summary>
    /// kubectl moving from client-side to server-side apply: conflicts over fields whose live value is still what the
    /// last-applied annotation says are taken over rather than refused.
    /// </summary>
    private static List<(ManagedFieldsEntry Entry, FieldSet Fields)> WithoutUpgradedClientSideApply(
        ResourceType type, JsonObject? live, string manager, List<(ManagedFieldsEntry Entry, FieldSet Fields)> conflicts, FieldShape shape)
    {
        if (manager != Kubectl || live?["metadata"]?["annotations"]?[LastAppliedAnnotation]?.GetValue<string>() is not { } text)
        {
            return conflicts;
        }

        JsonObject lastApplied;
        try
        {
            lastApplied = JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return conflicts;
        }

        var lastView = View(type, lastApplied, null);
        var allowed = FieldTree.ToFieldSet(lastView, shape)
            .Difference(FieldTree.Compare(lastView, View(type, live, null), shape).Modified);
        return conflicts
            .Select(c => (c.Entry, Fields: c.Fields.Difference(allowed)))
            .Where(c => !c.Fields.IsEmpty)
            .ToList();
    }

    private static ApiException ConflictError(List<(ManagedFieldsEntry Entry, FieldSet Fields)> conflicts)
    {
        var all = conflicts
            .OrderBy(c => c.Entry.Manager, StringComparer.Ordinal)
            .ThenBy(c => c.Entry.Operation, StringComparer.Ordinal)
            .SelectMany(c => c.Fields.Paths().Select(p => (Manager: c.Entry.Describe(), Path: FieldSet.Display(p))))
            .ToList();
        string message;
        if (all.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {all[0].Manager}: {all[0].Path}";
        }
        else
        {
            var lines = all.GroupBy(c => c.Manager).SelectMany(g => g.Select(c => $"- {c.Path}").Prepend($"conflicts with {g.Key}:"));
            message = $"Apply failed with {all.Count} conflicts: {string.Join('\n', lines)}";
        }

        var causes = all.Select(c => (JsonNode)new JsonObject
        {
            ["reason"] = "FieldManagerConflict",
            ["message"] = $"conflict with {c.Manager}",
            ["field"] = c.Path,
        }).ToArray();
        return new ApiException(409, "Conflict", message, new JsonObject { ["causes"] = new JsonArray(causes) });
    }

    /// <summary>The part of an object a write may own: without server-set metadata and without what the endpoint resets.</summary>
    private static JsonObject View(ResourceType type, JsonObject obj, string? subresource)
    {
        var view = obj.CloneObject();
        var metadata = view.Metadata();
        foreach (var key in ServerMetadata)
        {
            metadata.Remove(key);
        }

        if (subresource == "status")
        {
            foreach (var (key, _) in view.ToList())
            {
                if (key is not ("apiVersion" or "kind" or "metadata" or "status"))
                {
                    view.Remove(key);
                }
            }
        }
        else if (type.HasStatusSubresource)
        {
            view.Remove("status");
        }

        return view;
    }

    /// <summary>What the server starts a create from: built-in kinds' Go types always carry their spec struct.</summary>
    private static JsonObject EmptyObject(ResourceType type)
    {
        var empty = new JsonObject { ["metadata"] = new JsonObject() };
        if (!type.IsCustom && KindsWithSpec.Contains(type.Plural))
        {
            empty["spec"] = type.Group == "apps"
                ? new JsonObject { ["template"] = new JsonObject { ["metadata"] = new JsonObject(), ["spec"] = new JsonObject { ["containers"] = new JsonArray() } } }
                : type.Plural == "pods" ? new JsonObject { ["containers"] = new JsonArray() } : new JsonObject();
        }

        return empty;
    }

    private static JsonObject WithoutManagedFields(JsonObject obj)
    {
        var copy = obj.CloneObject();
        copy.Metadata().Remove("managedFields");
        return copy;
    }

    private static string LastApplied(JsonObject config)
    {
        var copy = config.CloneObject();
        if (copy["metadata"]?["annotations"] is JsonObject annotations)
        {
            annotations.Remove(LastAppliedAnnotation);
            if (annotations.Count == 0)
            {
                copy.Metadata().Remove("annotations");
            }
        }

        return FieldValues.Json(copy) + "\n";
    }

    private static FieldSet BuildIgnored()
    {
        var ignored = new FieldSet();
        ignored.Insert(["f:apiVersion"]);
        ignored.Insert(["f:kind"]);
        ignored.Insert(["f:metadata"]);
        foreach (var key in ServerMetadata)
        {
            ignored.Insert(["f:metadata", "f:" + key]);
        }

        return ignored;
    }

    private string Now() => ObjectMetadata.Timestamp(_time.GetUtcNow());
}
