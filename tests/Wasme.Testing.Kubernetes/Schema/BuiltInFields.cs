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
internal static partial class BuiltInFields
{
    private static readonly Lazy<Dictionary<(string Group, string Version, string Kind), Type>> s_models = new(FindModels);
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>?> s_fields = new();

    /// <summary>The model of a built-in kind; null for kinds KubernetesClient does not have (custom resources).</summary>
    public static Type? ModelOf(string group, string version, string kind)
        => s_models.Value.TryGetValue((group, version, kind), out var type) ? type : null;

    /// <summary>
    /// Judges <paramref name="obj"/> against <paramref name="model"/> in one walk: the first value of the wrong JSON
    /// type, worded as the Go JSON decoder kube-apiserver uses words it (<c>json: cannot unmarshal string into Go struct
    /// field DeploymentSpec.spec.replicas of type int32</c>; only strings, integers, booleans, objects and lists are
    /// checked), and every field the model does not declare, removed and named as kube-apiserver's strict decoding names
    /// it (<c>spec.template.spec.containers[0].imagePullPolicyy</c>).
    /// </summary>
    public static (string? TypeError, List<string> Unknown) Judge(JsonObject obj, Type model)
    {
        var walk = new Walker();
        walk.Visit(obj, model, new Place("", "", GoStructName(model)));
        return (walk.TypeError, walk.Unknown);
    }

    // Where a value is: the path kube-apiserver's strict decoding names (with list indices), the path Go's type errors
    // name (without indices or map keys), and the Go struct that declares the field.
    private readonly record struct Place(string Path, string GoPath, string Struct)
    {
        public Place Field(string name, string declaringStruct) => new(Join(Path, name), Join(GoPath, name), declaringStruct);

        public Place Item(int index) => this with { Path = $"{Path}[{index}]" };

        public Place Entry(string key) => this with { Path = Join(Path, key) };

        private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
    }

    private sealed class Walker
    {
        public List<string> Unknown { get; } = [];

        public string? TypeError { get; private set; }

        public void Visit(JsonNode? node, Type type, Place place)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (TypeError is null && node is not null && Mismatch(node, type) is { } kind && GoTypeName(type) is { } goType)
            {
                var found = kind == "number" && node is JsonValue number && number.ToJsonString() is var text && text.Contains('.', StringComparison.Ordinal) ? $"number {text}" : kind;
                TypeError = $"json: cannot unmarshal {found} into Go struct field {place.Struct}.{place.GoPath} of type {goType}";
                return;
            }

            switch (node)
            {
                case JsonObject obj when Fields(type) is { } fields:
                    foreach (var (name, value) in obj.ToList())
                    {
                        if (fields.TryGetValue(name, out var fieldType))
                        {
                            Visit(value, fieldType, place.Field(name, GoStructName(type)));
                        }
                        else
                        {
                            Unknown.Add(place.Field(name, "").Path);
                            obj.Remove(name);
                        }
                    }

                    break;
                case JsonObject obj when DictionaryValue(type) is { } valueType:
                    foreach (var (name, value) in obj.ToList())
                    {
                        Visit(value, valueType, place.Entry(name));
                    }

                    break;
                case JsonArray array when ListItem(type) is { } itemType:
                    for (var i = 0; i < array.Count; i++)
                    {
                        Visit(array[i], itemType, place.Item(i));
                    }

                    break;
            }
        }
    }

    // The JSON kind of a value its type cannot hold, as Go names it; null when it fits or the type is not checked.
    private static string? Mismatch(JsonNode node, Type type)
    {
        var kind = node.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => "string",
            System.Text.Json.JsonValueKind.Number => "number",
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "bool",
            System.Text.Json.JsonValueKind.Object => "object",
            System.Text.Json.JsonValueKind.Array => "array",
            _ => null,
        };
        var fits = type == typeof(string) ? kind == "string"
            // Values the server made itself hold CLR numbers, not JSON text: compare the text either way.
            : type == typeof(int) || type == typeof(long) ? kind == "number" && node.ToJsonString() is var number
                && (type == typeof(int) ? int.TryParse(number, System.Globalization.CultureInfo.InvariantCulture, out _) : long.TryParse(number, System.Globalization.CultureInfo.InvariantCulture, out _))
            : type == typeof(bool) ? kind == "bool"
            : Fields(type) is not null || DictionaryValue(type) is not null ? kind == "object"
            : ListItem(type) is null || kind == "array";
        return fits ? null : kind;
    }

    // Go's name for a field type (v1.Container, []string, map[string]string); null for types not checked.
    private static string? GoTypeName(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "string";
        }

        if (type == typeof(int))
        {
            return "int32";
        }

        if (type == typeof(long))
        {
            return "int64";
        }

        if (type == typeof(bool))
        {
            return "bool";
        }

        if (ListItem(type) is { } item)
        {
            return GoTypeName(item) is { } name ? "[]" + name : null;
        }

        if (DictionaryValue(type) is { } value)
        {
            return GoTypeName(value) is { } name ? "map[string]" + name : null;
        }

        return Fields(type) is not null && GoPackage().Match(type.Name) is { Success: true } match
            ? $"{match.Groups[1].Value.ToLowerInvariant()}.{match.Groups[2].Value}"
            : null;
    }

    // The generated models are named for their Go types with the API version in front: V1DeploymentSpec, V1beta1X.
    private static string GoStructName(Type type) => GoPackage().Match(type.Name) is { Success: true } match ? match.Groups[2].Value : type.Name;

    [System.Text.RegularExpressions.GeneratedRegex("^(V[0-9]+(?:alpha[0-9]+|beta[0-9]+)?)([A-Z].*)$")]
    private static partial System.Text.RegularExpressions.Regex GoPackage();

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
