using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Patching;

/// <summary>
/// Strategic merge patch for the built-in kinds, as far as kubectl apply/edit/patch use it: maps merge,
/// lists with a merge key (containers by name, ports by containerPort, ...) merge item by item, other lists
/// replace, and the directives <c>$patch</c>, <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/</c>,
/// <c>$setElementOrder/</c> are honoured. The merge keys are those of the Go types' patchMergeKey tags.
/// </summary>
internal static class StrategicMergePatch
{
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    internal static readonly Dictionary<string, string[]> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = ["name"],
        ["initContainers"] = ["name"],
        ["ephemeralContainers"] = ["name"],
        ["env"] = ["name"],
        ["volumes"] = ["name"],
        ["imagePullSecrets"] = ["name"],
        ["volumeMounts"] = ["mountPath"],
        ["volumeDevices"] = ["devicePath"],
        ["ports"] = ["containerPort", "port"],
        ["conditions"] = ["type"],
        ["hostAliases"] = ["ip"],
        ["ownerReferences"] = ["uid"],
        ["topologySpreadConstraints"] = ["topologyKey"],
        ["resourceClaims"] = ["name"],
        ["schedulingGates"] = ["name"],
    };

    // Lists of scalars whose patch strategy is merge (a set union) rather than replace.
    private static readonly HashSet<string> MergedPrimitiveLists = new(StringComparer.Ordinal) { "finalizers" };

    public static JsonObject Apply(JsonObject original, JsonObject patch) =>
        MergeMap((JsonObject)original.DeepClone(), patch) ?? [];

    private static JsonObject? MergeMap(JsonObject original, JsonObject patch)
    {
        switch (patch["$patch"]?.GetValue<string>())
        {
            case "delete":
                return null;
            case "replace":
                var replacement = (JsonObject)patch.DeepClone();
                replacement.Remove("$patch");
                return replacement;
        }

        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys" || key.StartsWith(SetElementOrder, StringComparison.Ordinal))
            {
                continue;
            }

            if (key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var field = key[DeleteFromPrimitiveList.Length..];
                if (original[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList())
                    {
                        list.Remove(item);
                    }
                }

                continue;
            }

            if (value is null)
            {
                original.Remove(key);
            }
            else if (value is JsonObject patchChild && original[key] is JsonObject originalChild)
            {
                var merged = MergeMap(originalChild, patchChild);
                if (merged is null)
                {
                    original.Remove(key);
                }
                else if (!ReferenceEquals(merged, originalChild))
                {
                    original[key] = merged;
                }
            }
            else if (value is JsonArray patchList && original[key] is JsonArray originalList)
            {
                original[key] = MergeList(key, originalList, patchList);
            }
            else
            {
                original[key] = StripDirectives(value.DeepClone());
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.GetValue<string>()).ToHashSet();
            foreach (var (key, _) in original.ToList())
            {
                if (!keep.Contains(key))
                {
                    original.Remove(key);
                }
            }
        }

        Reorder(original, patch);
        return original;
    }

    private static JsonArray MergeList(string field, JsonArray original, JsonArray patch)
    {
        if (patch.Count == 1 && patch[0] is JsonObject only && only["$patch"]?.GetValue<string>() == "replace")
        {
            return [];
        }

        if (MergedPrimitiveLists.Contains(field) && patch.All(p => p is JsonValue))
        {
            var union = (JsonArray)original.DeepClone();
            foreach (var item in patch.Where(p => !union.Any(u => JsonNode.DeepEquals(u, p))))
            {
                union.Add(item?.DeepClone());
            }

            return union;
        }

        var key = MergeKey(field, original, patch);
        if (key is null)
        {
            return (JsonArray)StripDirectives(patch.DeepClone())!;
        }

        var result = (JsonArray)original.DeepClone();
        foreach (var item in patch.OfType<JsonObject>())
        {
            var identity = item[key];
            var existing = result.OfType<JsonObject>().FirstOrDefault(o => JsonNode.DeepEquals(o[key], identity));
            if (item["$patch"]?.GetValue<string>() == "delete")
            {
                if (existing is not null)
                {
                    result.Remove(existing);
                }
            }
            else if (existing is null)
            {
                result.Add(StripDirectives(item.DeepClone()));
            }
            else
            {
                var index = result.IndexOf(existing);
                result[index] = MergeMap((JsonObject)existing.DeepClone(), item);
            }
        }

        return result;
    }

    private static string? MergeKey(string field, JsonArray original, JsonArray patch)
    {
        if (!MergeKeys.TryGetValue(field, out var candidates))
        {
            return null;
        }

        // "ports" is keyed by containerPort in a pod and by port in a service: take the one the items carry.
        var items = original.Concat(patch).OfType<JsonObject>().ToList();
        return candidates.FirstOrDefault(c => items.Count > 0 && items.All(i => i.ContainsKey(c) || i.ContainsKey("$patch")));
    }

    private static void Reorder(JsonObject original, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (!key.StartsWith(SetElementOrder, StringComparison.Ordinal) || value is not JsonArray order)
            {
                continue;
            }

            var field = key[SetElementOrder.Length..];
            if (original[field] is not JsonArray list)
            {
                continue;
            }

            var mergeKey = order.OfType<JsonObject>().SelectMany(o => o.Select(p => p.Key)).FirstOrDefault();
            int Position(JsonNode? item)
            {
                for (var i = 0; i < order.Count; i++)
                {
                    var wanted = mergeKey is null ? order[i] : order[i]?[mergeKey];
                    var actual = mergeKey is null ? item : (item as JsonObject)?[mergeKey];
                    if (JsonNode.DeepEquals(wanted, actual))
                    {
                        return i;
                    }
                }

                return int.MaxValue;
            }

            var sorted = list.Select(i => i?.DeepClone()).OrderBy(Position).ToArray();
            original[field] = new JsonArray(sorted);
        }
    }

    private static JsonNode? StripDirectives(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, _) in obj.ToList())
                {
                    if (key.StartsWith('$'))
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        StripDirectives(obj[key]);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    StripDirectives(item);
                }

                break;
        }

        return node;
    }
}
