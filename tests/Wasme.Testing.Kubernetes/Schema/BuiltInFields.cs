using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Wasme.Testing.Kubernetes.Schema;

/// <summary>
/// Unknown fields of built-in kinds. kube-apiserver decodes a built-in object into its Go type, so a field the type
/// does not declare is an error under Strict field validation, a warning under Warn, and is dropped in every case
/// (nothing stores it). This server has no OpenAPI schemas for built-in kinds; KubernetesClient's models are generated
/// from those definitions, so their JSON property names are the fields each type declares.
/// </summary>
internal static class BuiltInFields
{
    private static readonly Lazy<Dictionary<(string Group, string Version, string Kind), Type>> s_models = new(FindModels);
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>?> s_fields = new();

    /// <summary>The model of a built-in kind; null for kinds KubernetesClient does not have (custom resources).</summary>
    public static Type? ModelOf(string group, string version, string kind)
        => s_models.Value.TryGetValue((group, version, kind), out var type) ? type : null;

    /// <summary>
    /// Removes every field <paramref name="model"/> does not declare and returns their paths as kube-apiserver's strict
    /// decoding names them (<c>spec.template.spec.containers[0].imagePullPolicyy</c>).
    /// </summary>
    public static List<string> PruneUnknown(JsonObject obj, Type model)
    {
        var unknown = new List<string>();
        Walk(obj, model, "", unknown);
        return unknown;
    }

    private static void Walk(JsonNode? node, Type type, string path, List<string> unknown)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        switch (node)
        {
            case JsonObject obj when Fields(type) is { } fields:
                foreach (var (name, value) in obj.ToList())
                {
                    var child = path.Length == 0 ? name : $"{path}.{name}";
                    if (fields.TryGetValue(name, out var fieldType))
                    {
                        Walk(value, fieldType, child, unknown);
                    }
                    else
                    {
                        unknown.Add(child);
                        obj.Remove(name);
                    }
                }

                break;
            case JsonObject obj when DictionaryValue(type) is { } valueType:
                foreach (var (name, value) in obj.ToList())
                {
                    Walk(value, valueType, path.Length == 0 ? name : $"{path}.{name}", unknown);
                }

                break;
            case JsonArray array when ListItem(type) is { } itemType:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], itemType, $"{path}[{i}]", unknown);
                }

                break;
        }
    }

    // The JSON fields of a generated model; null for anything else (strings, numbers, IntOrString, quantities, free-form objects).
    private static Dictionary<string, Type>? Fields(Type type) => s_fields.GetOrAdd(type, static t =>
    {
        if (t.Namespace != typeof(V1Pod).Namespace || !t.IsClass || t == typeof(IntOrString) || t == typeof(ResourceQuantity))
        {
            return null;
        }

        var fields = t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, p.PropertyType))
            .Where(p => p.Name is not null)
            .ToDictionary(p => p.Name!, p => p.PropertyType, StringComparer.Ordinal);
        return fields.Count == 0 ? null : fields;
    });

    private static Type? DictionaryValue(Type type)
        => type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>))
            && type.GetGenericArguments()[0] == typeof(string)
            ? type.GetGenericArguments()[1]
            : null;

    private static Type? ListItem(Type type)
        => type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(IEnumerable<>))
            ? type.GetGenericArguments()[0]
            : null;

    private static Dictionary<(string, string, string), Type> FindModels()
    {
        var models = new Dictionary<(string, string, string), Type>();
        foreach (var type in typeof(V1Pod).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { Kind: { } kind, ApiVersion: { } version } entity
                && !kind.EndsWith("List", StringComparison.Ordinal))
            {
                models.TryAdd((entity.Group ?? "", version, kind), type);
            }
        }

        return models;
    }
}
