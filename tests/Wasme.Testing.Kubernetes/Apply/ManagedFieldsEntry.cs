using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Apply;

/// <summary>One entry of <c>metadata.managedFields</c>: the fields one manager set with one kind of operation.</summary>
internal sealed record ManagedFieldsEntry(string Manager, string Operation, string ApiVersion, string? Time, string? Subresource, FieldSet Fields)
{
    public const string ApplyOperation = "Apply";
    public const string UpdateOperation = "Update";

    public bool IsApply => Operation == ApplyOperation;

    /// <summary>kube-apiserver keys entries by manager, operation and subresource (and apiVersion for updates, not for appliers).</summary>
    public bool SameManager(ManagedFieldsEntry other) =>
        Manager == other.Manager && Operation == other.Operation && Subresource == other.Subresource && (IsApply || ApiVersion == other.ApiVersion);

    /// <summary>How a conflict names the manager: <c>"kubectl-client-side-apply" using apps/v1</c>.</summary>
    public string Describe()
    {
        var text = FieldValues.Json(JsonValue.Create(Manager));
        if (!string.IsNullOrEmpty(Subresource))
        {
            text += $" with subresource {FieldValues.Json(JsonValue.Create(Subresource))}";
        }

        return IsApply ? text : $"{text} using {ApiVersion}";
    }

    /// <summary>The entries an object carries; empty when it has none.</summary>
    public static List<ManagedFieldsEntry> Decode(JsonObject obj)
    {
        if (obj["metadata"]?["managedFields"] is not JsonArray list)
        {
            return [];
        }

        return list.OfType<JsonObject>()
            .Select(e => new ManagedFieldsEntry(
                e.GetString("manager") ?? "",
                e.GetString("operation") ?? "",
                e.GetString("apiVersion") ?? "",
                e.GetString("time"),
                e.GetString("subresource"),
                FieldSet.FromFieldsV1(e["fieldsV1"])))
            .ToList();
    }

    /// <summary>Writes the non-empty entries in kube-apiserver's order: appliers first, then by time and manager.</summary>
    public static void Encode(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        var kept = entries
            .Where(e => !e.Fields.IsEmpty)
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time ?? "", StringComparer.Ordinal)
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal)
            .Select(e => (JsonNode)e.ToJson())
            .ToArray();
        var metadata = obj.Metadata();
        if (kept.Length == 0)
        {
            metadata.Remove("managedFields");
        }
        else
        {
            metadata["managedFields"] = new JsonArray(kept);
        }
    }

    private JsonObject ToJson()
    {
        var entry = new JsonObject
        {
            ["manager"] = Manager,
            ["operation"] = Operation,
            ["apiVersion"] = ApiVersion,
        };
        if (Time is not null)
        {
            entry["time"] = Time;
        }

        entry["fieldsType"] = "FieldsV1";
        entry["fieldsV1"] = Fields.ToFieldsV1();
        if (!string.IsNullOrEmpty(Subresource))
        {
            entry["subresource"] = Subresource;
        }

        return entry;
    }
}
