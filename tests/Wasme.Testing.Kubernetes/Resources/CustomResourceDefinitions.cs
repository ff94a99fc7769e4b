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
    public static IReadOnlyList<FieldError> Validate(JsonObject crd)
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

        if (group is not null && plural is not null && crd.Name() != $"{plural}.{group}")
        {
            errors.Add(FieldError.Invalid("metadata.name", crd.Name(), $"must be spec.names.plural+\".\"+spec.group"));
        }

        errors.AddRange(CrdSchemaValidator.Validate(crd));

        return errors;
    }

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
        var storage = (crd["spec"]!["versions"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(v => v["storage"]?.GetValueKind() == JsonValueKind.True)?.GetString("name");
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
            ["storedVersions"] = new JsonArray(storage is null ? [] : [JsonValue.Create(storage)]),
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
