using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Schema;
using Wasme.Testing.Kubernetes.Schema.Cel;
using Wasme.Testing.Kubernetes.Schema.Crd;

namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>Turns a CustomResourceDefinition object into the resources it serves, and checks it as the API server does.</summary>
internal static partial class CustomResourceDefinitions
{
    /// <summary>What the CRD registry adds on delete; the CRD finalizer takes it away once no instance is left.</summary>
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    /// <summary>What discovery lists for a terminating CRD's resources: nothing that creates.</summary>
    public static readonly IReadOnlyList<string> TerminatingVerbs = ["delete", "deletecollection", "get", "list", "watch"];

    /// <summary>The <c>Terminating</c> condition the CRD registry and finalizer set.</summary>
    public static JsonObject Terminating(string status, string reason, string message, string now) => new()
    {
        ["type"] = "Terminating",
        ["status"] = status,
        ["lastTransitionTime"] = now,
        ["reason"] = reason,
        ["message"] = message,
    };

    /// <summary>Sets a condition as apiextensions' helper does: the transition time moves only when the status does.</summary>
    public static void SetCondition(JsonObject crd, JsonObject condition)
    {
        if (crd["status"] is not JsonObject status)
        {
            status = [];
            crd["status"] = status;
        }

        if (status["conditions"] is not JsonArray conditions)
        {
            conditions = [];
            status["conditions"] = conditions;
        }

        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == condition.GetString("type"));
        if (existing is null)
        {
            conditions.Add(condition);
            return;
        }

        if (existing.GetString("status") == condition.GetString("status"))
        {
            condition["lastTransitionTime"] = existing["lastTransitionTime"]?.DeepClone();
        }

        conditions[conditions.IndexOf(existing)] = condition;
    }

    /// <summary>Whether a CRD is terminating as the custom resource handler judges it (marked, or the condition true).</summary>
    public static bool IsTerminating(JsonObject crd) =>
        crd.IsBeingDeleted() || (crd["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => c.GetString("type") == "Terminating" && c.GetString("status") == "True");

    /// <summary>The checks of a create (<paramref name="old"/> null) or an update, in apiextensions-apiserver's order.</summary>
    public static IReadOnlyList<FieldError> Validate(JsonObject crd, JsonObject? old)
    {
        var errors = new List<FieldError>();
        var spec = crd["spec"] as JsonObject;
        var group = spec?.GetString("group");
        var names = spec?["names"] as JsonObject;
        var plural = names?.GetString("plural");
        var kind = names?.GetString("kind");
        if (string.IsNullOrEmpty(group))
        {
            errors.Add(FieldError.Required("spec.group"));
        }

        if (string.IsNullOrEmpty(plural))
        {
            errors.Add(FieldError.Required("spec.names.plural"));
        }

        if (string.IsNullOrEmpty(kind))
        {
            errors.Add(FieldError.Required("spec.names.kind"));
        }

        if (spec?.GetString("scope") is not ("Namespaced" or "Cluster"))
        {
            errors.Add(FieldError.NotSupported("spec.scope", spec?["scope"]?.DeepClone(), [JsonValue.Create("Cluster"), JsonValue.Create("Namespaced")]));
        }

        var versions = spec?["versions"] as JsonArray;
        if (versions is null || versions.Count == 0)
        {
            errors.Add(FieldError.Required("spec.versions"));
        }
        else if (versions.OfType<JsonObject>().Count(v => v["storage"]?.GetValueKind() == JsonValueKind.True) != 1)
        {
            errors.Add(FieldError.Invalid("spec.versions", null, "must have exactly one version marked as storage version"));
        }

        // Only a create checks the name: an update cannot change it, nor the plural and group it is made of.
        if (old is null && group is not null && plural is not null && crd.Name() != $"{plural}.{group}")
        {
            errors.Add(FieldError.Invalid("metadata.name", crd.Name(), $"must be spec.names.plural+\".\"+spec.group"));
        }

        errors.AddRange(CrdSchemaValidator.Validate(crd));
        if (old is not null)
        {
            errors.AddRange(ImmutableNames(crd, old));
            errors.AddRange(StoredVersions(crd));
        }

        return errors;
    }

    /// <summary>
    /// What the registry does before an update is validated: a new storage version joins status.storedVersions,
    /// which only the storage version migrator (or an explicit status write) ever shortens.
    /// </summary>
    public static void RecordStorageVersion(JsonObject crd)
    {
        if (StorageVersion(crd) is not { } storage)
        {
            return;
        }

        if (crd["status"] is not JsonObject status)
        {
            return;
        }

        if (status["storedVersions"] is not JsonArray stored)
        {
            status["storedVersions"] = new JsonArray(JsonValue.Create(storage));
        }
        else if (!stored.Any(v => v?.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == storage))
        {
            stored.Add(JsonValue.Create(storage));
        }
    }

    // Storage is keyed by group and plural, and holds objects of the kind in the scope they were written in.
    private static IEnumerable<FieldError> ImmutableNames(JsonObject crd, JsonObject old)
    {
        var established = (old["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => c.GetString("type") == "Established" && c.GetString("status") == "True");
        var checks = new List<(string Field, JsonNode? Value, JsonNode? Old)>();
        if (established)
        {
            checks.Add(("spec.scope", crd["spec"]?["scope"], old["spec"]?["scope"]));
            checks.Add(("spec.names.kind", crd["spec"]?["names"]?["kind"], old["spec"]?["names"]?["kind"]));
        }

        checks.Add(("spec.group", crd["spec"]?["group"], old["spec"]?["group"]));
        checks.Add(("spec.names.plural", crd["spec"]?["names"]?["plural"], old["spec"]?["names"]?["plural"]));
        return checks.Where(c => !JsonNode.DeepEquals(c.Value, c.Old)).Select(c => FieldError.Invalid(c.Field, c.Value?.DeepClone(), "field is immutable"));
    }

    private static IEnumerable<FieldError> StoredVersions(JsonObject crd)
    {
        var stored = (crd["status"]?["storedVersions"] as JsonArray ?? []).Select(v => v?.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "").ToList();
        var versions = (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>().Select(v => v.GetString("name")).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < stored.Count; i++)
        {
            if (!versions.Contains(stored[i]))
            {
                yield return FieldError.Invalid($"status.storedVersions[{i}]", stored[i], "must appear in spec.versions");
            }
        }
    }

    private static string? StorageVersion(JsonObject crd) => (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>()
        .FirstOrDefault(v => v["storage"]?.GetValueKind() == JsonValueKind.True)?.GetString("name");

    /// <summary>The served versions, preferred (highest Kubernetes version priority) first.</summary>
    public static IReadOnlyList<ResourceType> ServedResources(JsonObject crd)
    {
        var spec = (JsonObject)crd["spec"]!;
        var names = (JsonObject)spec["names"]!;
        var kind = names.GetString("kind")!;
        var result = new List<ResourceType>();
        foreach (var version in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (version["served"]?.GetValueKind() == JsonValueKind.False)
            {
                continue;
            }

            result.Add(new ResourceType
            {
                Group = spec.GetString("group")!,
                Version = version.GetString("name")!,
                Plural = names.GetString("plural")!,
                Singular = names.GetString("singular") ?? kind.ToLowerInvariant(),
                Kind = kind,
                Namespaced = spec.GetString("scope") == "Namespaced",
                ShortNames = Strings(names["shortNames"]),
                Categories = Strings(names["categories"]),
                HasStatusSubresource = version["subresources"]?["status"] is JsonObject,
                IsCustom = true,
                Schema = version["schema"]?["openAPIV3Schema"] is JsonObject schema ? StructuralSchema.Parse(schema) : null,
                Rules = version["schema"]?["openAPIV3Schema"] is JsonObject withRules ? CelValidator.Build(withRules) : null,
                SelectableFields = (version["selectableFields"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(f => f.GetString("jsonPath")?.TrimStart('.')).OfType<string>().ToList(),
                PrinterColumns = (version["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(c => new PrinterColumn(
                        c.GetString("name") ?? "",
                        c.GetString("type") ?? "string",
                        c.GetString("jsonPath") ?? "",
                        c.GetString("format"),
                        c.GetString("description") ?? "",
                        c["priority"]?.GetValueKind() == JsonValueKind.Number ? int.Parse(c["priority"]!.ToJsonString(), CultureInfo.InvariantCulture) : 0))
                    .ToList(),
            });
        }

        return result.OrderByDescending(r => VersionPriority(r.Version)).ThenBy(r => r.Version, StringComparer.Ordinal).ToList();
    }

    /// <summary>What the CRD controller writes once the names are accepted: NamesAccepted and Established.</summary>
    public static JsonObject EstablishedStatus(JsonObject crd, string now)
    {
        var names = (JsonObject)crd["spec"]!["names"]!.DeepClone();
        names["singular"] ??= names.GetString("kind")!.ToLowerInvariant();
        names["listKind"] ??= names.GetString("kind") + "List";
        var storage = StorageVersion(crd);
        var stored = crd["status"]?["storedVersions"] is JsonArray recorded ? (JsonArray)recorded.DeepClone() : new JsonArray(storage is null ? [] : [JsonValue.Create(storage)]);
        JsonObject Condition(string type, string reason, string message) => new()
        {
            ["type"] = type,
            ["status"] = "True",
            ["lastTransitionTime"] = now,
            ["reason"] = reason,
            ["message"] = message,
        };
        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
            ["acceptedNames"] = names,
            ["storedVersions"] = stored,
        };
    }

    // v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > anything else, as kube-apiserver orders versions.
    private static long VersionPriority(string version)
    {
        var match = KubeVersion().Match(version);
        if (!match.Success)
        {
            return 0;
        }

        var major = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var stage = match.Groups[2].Value switch { "" => 3, "beta" => 2, _ => 1 };
        var minor = match.Groups[3].Success ? long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        return stage * 1_000_000 + major * 1_000 + minor;
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n?.GetValue<string>()).OfType<string>().ToList() : [];

    [GeneratedRegex("^v([0-9]+)(?:(alpha|beta)([0-9]+)?)?$")]
    private static partial Regex KubeVersion();
}
