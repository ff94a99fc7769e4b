using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Istio.Validation;
using static Wasme.Istio.Translation.WasmeMetadata;

namespace Wasme.Istio.Translation;

/// <summary>
/// HostPath delivery: the <c>sidecar.istio.io/userVolume</c> and <c>userVolumeMount</c> pod-template annotations that
/// mount the node cache into the sidecar, merged by name with what the user already has. The user's values are
/// backed up once (when the first wasme filter arrives); when the last one leaves only wasme's cache entries are taken
/// out, so entries the user added or changed meanwhile stay, and an unchanged value comes back byte for byte.
/// </summary>
public static class SidecarVolumeAnnotations
{
    private static readonly string[] Keys = [UserVolumeAnnotation, UserVolumeMountAnnotation];

    /// <summary>The edits that make the pod template mount the cache for filter <paramref name="filterId"/>.</summary>
    public static AnnotationChanges Add(IReadOnlyDictionary<string, string> annotations, string filterId, ICollection<ValidationProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        ArgumentNullException.ThrowIfNull(problems);
        var set = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var filters = ReadFilters(annotations);

        if (filters.Count == 0)
        {
            // First wasme filter on this workload: remember the user's own values (if any) before touching them.
            foreach (var key in Keys)
            {
                if (annotations.TryGetValue(key, out var original) && !annotations.ContainsKey(BackupPrefix + key))
                {
                    set[BackupPrefix + key] = original;
                }
            }
        }

        var volume = new JsonObject { ["name"] = CacheVolumeName, ["hostPath"] = new JsonObject { ["path"] = HostCacheDirectory } };
        var mount = new JsonObject { ["name"] = CacheVolumeName, ["mountPath"] = HostCacheDirectory, ["readOnly"] = true };
        MergeInto(annotations, UserVolumeAnnotation, volume, set, problems);
        MergeInto(annotations, UserVolumeMountAnnotation, mount, set, problems);

        if (filters.Add(filterId))
        {
            set[HostPathFiltersAnnotation] = string.Join(',', filters);
        }

        return new AnnotationChanges(set, []);
    }

    /// <summary>
    /// The edits that take filter <paramref name="filterId"/>'s mount away again. While another wasme filter still
    /// needs the cache the volume stays; when the last one goes, its entries go and everything else stays.
    /// </summary>
    public static AnnotationChanges Remove(IReadOnlyDictionary<string, string> annotations, string filterId)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var filters = ReadFilters(annotations);
        if (!filters.Remove(filterId))
        {
            return AnnotationChanges.None;
        }

        var set = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var remove = new List<string>();
        if (filters.Count > 0)
        {
            set[HostPathFiltersAnnotation] = string.Join(',', filters);
            return new AnnotationChanges(set, remove);
        }

        remove.Add(HostPathFiltersAnnotation);
        foreach (var key in Keys)
        {
            annotations.TryGetValue(BackupPrefix + key, out var backup);
            if (backup is not null)
            {
                remove.Add(BackupPrefix + key);
            }

            if (!annotations.TryGetValue(key, out var current))
            {
                continue;
            }

            // Take out only the cache entry; whatever the user added or changed meanwhile stays. Unchanged, the
            // backup comes back byte for byte.
            switch (WithoutCacheEntry(current))
            {
                case null:
                    // Not a list or map any more: the user rewrote it, so it is theirs as it stands.
                    break;
                case var rest when backup is not null && JsonNode.DeepEquals(rest, ParseOrNull(backup)):
                    set[key] = backup;
                    break;
                case JsonArray { Count: 0 } or JsonObject { Count: 0 } when backup is null:
                    remove.Add(key);
                    break;
                case var rest:
                    set[key] = rest.ToJsonString();
                    break;
            }
        }

        return new AnnotationChanges(set, remove);
    }

    private static JsonNode? WithoutCacheEntry(string value)
    {
        switch (ParseOrNull(value))
        {
            case JsonArray array:
                foreach (var entry in array.Where(IsCacheEntry).ToList())
                {
                    array.Remove(entry);
                }

                return array;
            case JsonObject map:
                map.Remove(CacheVolumeName);
                return map;
            default:
                return null;
        }
    }

    private static bool IsCacheEntry(JsonNode? entry) =>
        entry is JsonObject o && o["name"]?.GetValueKind() == JsonValueKind.String && o["name"]!.GetValue<string>() == CacheVolumeName;

    private static JsonNode? ParseOrNull(string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static SortedSet<string> ReadFilters(IReadOnlyDictionary<string, string> annotations) =>
        annotations.TryGetValue(HostPathFiltersAnnotation, out var text)
            ? new SortedSet<string>(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal)
            : new SortedSet<string>(StringComparer.Ordinal);

    private static void MergeInto(
        IReadOnlyDictionary<string, string> annotations,
        string key,
        JsonObject entry,
        SortedDictionary<string, string> set,
        ICollection<ValidationProblem> problems)
    {
        if (!annotations.TryGetValue(key, out var existing) || string.IsNullOrWhiteSpace(existing))
        {
            set[key] = new JsonArray(entry).ToJsonString();
            return;
        }

        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(existing);
        }
        catch (JsonException)
        {
            parsed = null;
        }

        switch (parsed)
        {
            case JsonArray array:
                if (!array.Any(e => e is JsonObject o && o["name"]?.GetValueKind() == JsonValueKind.String && o["name"]!.GetValue<string>() == CacheVolumeName))
                {
                    array.Add((JsonNode)entry);
                    set[key] = array.ToJsonString();
                }

                break;
            case JsonObject map:
                // Newer Istio also accepts a map keyed by volume name.
                if (!map.ContainsKey(CacheVolumeName))
                {
                    var copy = entry.DeepClone().AsObject();
                    copy.Remove("name");
                    map[CacheVolumeName] = copy;
                    set[key] = map.ToJsonString();
                }

                break;
            default:
                problems.Add(new(
                    "pod template annotation " + key,
                    FilterDeploymentValidator.Shorten(existing),
                    "the existing value is not a JSON list or map of volumes, so the cache volume cannot be merged into it",
                    "fix the annotation on the workload (Istio would reject it too), or use delivery Remote, which needs no annotations"));
                break;
        }
    }
}
