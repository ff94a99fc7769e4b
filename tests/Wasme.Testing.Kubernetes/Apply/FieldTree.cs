using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Apply;

/// <summary>Added, removed and modified paths between two objects.</summary>
internal sealed record Comparison(FieldSet Added, FieldSet Removed, FieldSet Modified)
{
    public FieldSet Changed => Added.Union(Modified);
}

/// <summary>
/// The walks structured-merge-diff makes over objects: the field set an object sets, the comparison of two
/// objects, the merge of an applied configuration into a live object, and the removal of paths.
/// </summary>
internal static class FieldTree
{
    public static FieldSet ToFieldSet(JsonObject obj, FieldShape shape)
    {
        var set = new FieldSet();
        Collect(obj, shape, [], set);
        return set;
    }

    public static Comparison Compare(JsonObject before, JsonObject after, FieldShape shape)
    {
        var comparison = new Comparison(new FieldSet(), new FieldSet(), new FieldSet());
        Compare(before, true, after, true, shape, [], comparison);
        return comparison;
    }

    /// <summary>The applied configuration merged into the live object: maps and granular lists merge, the rest is replaced.</summary>
    public static JsonObject Merge(JsonObject live, JsonObject config, FieldShape shape) =>
        (JsonObject)Merge((JsonNode)live, config, shape)!;

    /// <summary>
    /// Removes <paramref name="remove"/>'s paths from <paramref name="obj"/>, keeping whatever still has an owner in
    /// <paramref name="owned"/> and whatever no set mentions; a field left empty by the removal goes too.
    /// </summary>
    public static void Remove(JsonNode obj, FieldSet remove, FieldSet? owned, FieldShape shape)
    {
        foreach (var (element, child) in remove.Children)
        {
            var ownedBelow = owned?.Child(element);
            var stillOwned = ownedBelow is { IsEmpty: false };
            if (element.StartsWith("f:", StringComparison.Ordinal) && obj is JsonObject map)
            {
                var name = element[2..];
                if (!map.TryGetPropertyValue(name, out var value))
                {
                    continue;
                }

                if (child.Children.Any() && value is JsonObject or JsonArray)
                {
                    Remove(value!, child, ownedBelow, shape.Field(name));
                    if (!stillOwned && value is JsonObject { Count: 0 } or JsonArray { Count: 0 })
                    {
                        map.Remove(name);
                    }
                }
                else if (child.Member && !stillOwned)
                {
                    map.Remove(name);
                }
            }
            else if (obj is JsonArray list)
            {
                var index = IndexOf(list, element, shape);
                if (index < 0)
                {
                    continue;
                }

                if (child.Member && !stillOwned)
                {
                    list.RemoveAt(index);
                }
                else if (list[index] is { } item)
                {
                    Remove(item, child, ownedBelow, shape.Item);
                }
            }
        }
    }

    private static void Collect(JsonNode? node, FieldShape shape, List<string> path, FieldSet set)
    {
        switch (node)
        {
            case JsonObject obj when shape.IsAtomicObject:
                set.Insert(path);
                break;
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    path.Add("f:" + key);
                    Collect(value, shape.Field(key), path, set);
                    if (value is null or JsonObject { Count: 0 } || !shape.Declares(key))
                    {
                        set.Insert(path);
                    }

                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonArray list when shape.ListTypeOf(out _) == ListType.Atomic:
                set.Insert(path);
                break;
            case JsonArray list:
                for (var i = 0; i < list.Count; i++)
                {
                    path.Add(shape.ItemElement(list[i], i));
                    Collect(list[i], shape.Item, path, set);
                    set.Insert(path);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            default:
                set.Insert(path);
                break;
        }
    }

    private static void Compare(JsonNode? before, bool hadBefore, JsonNode? after, bool hasAfter, FieldShape shape, List<string> path, Comparison result)
    {
        if (!hadBefore && !hasAfter)
        {
            return;
        }

        if (!hadBefore)
        {
            result.Added.Insert(path);
        }
        else if (!hasAfter)
        {
            result.Removed.Insert(path);
        }

        var granularObject = !shape.IsAtomicObject && (before ?? after) is JsonObject && (!hadBefore || before is JsonObject) && (!hasAfter || after is JsonObject);
        var granularList = shape.ListTypeOf(out _) != ListType.Atomic && (before ?? after) is JsonArray && (!hadBefore || before is JsonArray) && (!hasAfter || after is JsonArray);
        if (granularObject)
        {
            var left = before as JsonObject;
            var right = after as JsonObject;
            var keys = (left?.Select(p => p.Key) ?? []).Union(right?.Select(p => p.Key) ?? []).ToList();
            foreach (var key in keys)
            {
                JsonNode? l = null, r = null;
                var hasLeft = left?.TryGetPropertyValue(key, out l) ?? false;
                var hasRight = right?.TryGetPropertyValue(key, out r) ?? false;
                path.Add("f:" + key);
                Compare(l, hasLeft, r, hasRight, shape.Field(key), path, result);
                path.RemoveAt(path.Count - 1);
            }
        }
        else if (granularList)
        {
            var left = Items(before as JsonArray, shape);
            var right = Items(after as JsonArray, shape);
            foreach (var element in left.Keys.Union(right.Keys).ToList())
            {
                var hasLeft = left.TryGetValue(element, out var l);
                var hasRight = right.TryGetValue(element, out var r);
                path.Add(element);
                Compare(l, hasLeft, r, hasRight, shape.Item, path, result);
                path.RemoveAt(path.Count - 1);
            }
        }
        else if (hadBefore && hasAfter && !JsonNode.DeepEquals(before, after))
        {
            result.Modified.Insert(path);
        }
    }

    private static JsonNode? Merge(JsonNode? live, JsonNode? config, FieldShape shape)
    {
        if (config is JsonObject configObject && live is JsonObject liveObject && !shape.IsAtomicObject)
        {
            var merged = (JsonObject)liveObject.DeepClone();
            foreach (var (key, value) in configObject)
            {
                merged[key] = liveObject.TryGetPropertyValue(key, out var current) ? Merge(current, value, shape.Field(key)) : value?.DeepClone();
            }

            return merged;
        }

        if (config is JsonArray configList && live is JsonArray liveList && shape.ListTypeOf(out _) != ListType.Atomic)
        {
            // Live items keep their places, matching items merge, new ones follow.
            var merged = new JsonArray(liveList.Select(i => i?.DeepClone()).ToArray());
            for (var i = 0; i < configList.Count; i++)
            {
                var index = IndexOf(merged, shape.ItemElement(configList[i], i), shape);
                if (index < 0)
                {
                    merged.Add(configList[i]?.DeepClone());
                }
                else
                {
                    merged[index] = Merge(merged[index]?.DeepClone(), configList[i], shape.Item);
                }
            }

            return merged;
        }

        return config?.DeepClone();
    }

    private static Dictionary<string, JsonNode?> Items(JsonArray? list, FieldShape shape)
    {
        var items = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            items[shape.ItemElement(list![i], i)] = list[i];
        }

        return items;
    }

    private static int IndexOf(JsonArray list, string element, FieldShape shape)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (shape.ItemElement(list[i], i) == element)
            {
                return i;
            }
        }

        return -1;
    }
}
