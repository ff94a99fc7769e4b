using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Patching;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Apply;

internal enum ListType
{
    Atomic,
    Set,
    Map,
}

/// <summary>
/// What structured-merge-diff needs to know of a field's type: how a list merges (atomic, set, or map by
/// keys), whether an object is atomic, and whether a key is a declared field (a struct) or an entry of a map.
/// Custom resources take it from the CRD's schema (<c>x-kubernetes-list-type</c>, <c>-list-map-keys</c>,
/// <c>-map-type</c>); built-in kinds from the Go types' tags, as far as this server knows them.
/// </summary>
internal abstract class FieldShape
{
    public static FieldShape For(ResourceType type) =>
        type.Schema is { } schema ? new SchemaShape(schema.Root, root: true) : new BuiltInShape("", type.Group == "apps");

    public abstract FieldShape Field(string name);

    public abstract FieldShape Item { get; }

    public abstract bool IsAtomicObject { get; }

    /// <summary>Whether <paramref name="name"/> is a field of a struct (then an object value is not itself a member).</summary>
    public abstract bool Declares(string name);

    public abstract ListType ListTypeOf(out IReadOnlyList<string> keys);

    /// <summary>The value a key field takes when an item leaves it out (the server defaults it before keying).</summary>
    protected virtual string? KeyDefault(string key) => null;

    /// <summary>The path element naming <paramref name="item"/> in this list.</summary>
    public string ItemElement(JsonNode? item, int index)
    {
        switch (ListTypeOf(out var keys))
        {
            case ListType.Set:
                return "v:" + FieldValues.Json(item);
            case ListType.Map when item is JsonObject obj && keys.Any(obj.ContainsKey):
                var identity = new JsonObject();
                foreach (var key in keys.Order(StringComparer.Ordinal))
                {
                    if (obj[key] is { } value)
                    {
                        identity[key] = value.DeepClone();
                    }
                    else if (KeyDefault(key) is { } defaulted)
                    {
                        identity[key] = defaulted;
                    }
                }

                return "k:" + FieldValues.Json(identity);
            default:
                return "i:" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private sealed class SchemaShape : FieldShape
    {
        private readonly JsonObject? _schema;
        private readonly bool _root;

        public SchemaShape(JsonObject? schema, bool root = false)
        {
            _schema = schema;
            _root = root;
        }

        public override FieldShape Item => new SchemaShape(_schema?["items"] as JsonObject);

        public override bool IsAtomicObject => _schema?["x-kubernetes-map-type"]?.GetValue<string>() == "atomic";

        public override FieldShape Field(string name)
        {
            if (_root && name == "metadata")
            {
                // ObjectMeta is a built-in type whatever the CRD's schema says of it.
                return new BuiltInShape("metadata", apps: false);
            }

            if (_schema?["properties"]?[name] is JsonObject property)
            {
                return new SchemaShape(property);
            }

            return new SchemaShape(_schema?["additionalProperties"] as JsonObject);
        }

        public override bool Declares(string name) => _schema?["properties"]?[name] is not null;

        public override ListType ListTypeOf(out IReadOnlyList<string> keys)
        {
            keys = (_schema?["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => k!.GetValue<string>()).ToList() ?? [];
            return _schema?["x-kubernetes-list-type"]?.GetValue<string>() switch
            {
                "set" => ListType.Set,
                "map" when keys.Count > 0 => ListType.Map,
                _ => ListType.Atomic,
            };
        }
    }

    private sealed class BuiltInShape : FieldShape
    {
        // Structs and maps tagged +structType=atomic / +mapType=atomic in k8s.io/api.
        private static readonly HashSet<string> AtomicObjects = new(StringComparer.Ordinal) { "nodeSelector", "matchLabels" };

        private readonly string _path;
        private readonly bool _apps;

        public BuiltInShape(string path, bool apps)
        {
            _path = path;
            _apps = apps;
        }

        private string Name => _path[(_path.LastIndexOf('.') + 1)..];

        public override FieldShape Item => new BuiltInShape(_path + "[]", _apps);

        // A workload's spec.selector is a LabelSelector, which is atomic.
        public override bool IsAtomicObject => AtomicObjects.Contains(Name) || (_apps && _path == "spec.selector");

        public override FieldShape Field(string name) => new BuiltInShape(_path.Length == 0 ? name : $"{_path}.{name}", _apps);

        public override bool Declares(string name) => true;

        public override ListType ListTypeOf(out IReadOnlyList<string> keys)
        {
            keys = [];
            if (Name == "finalizers")
            {
                return ListType.Set;
            }

            if (!StrategicMergePatch.MergeKeys.TryGetValue(Name, out var candidates))
            {
                return ListType.Atomic;
            }

            // Ports are keyed by their number and protocol (containerPort in a pod, port in a service).
            keys = Name == "ports" ? [.. candidates, "protocol"] : candidates;
            return ListType.Map;
        }

        // A port's protocol defaults to TCP, so {containerPort: 80} and {containerPort: 80, protocol: TCP} are one item.
        protected override string? KeyDefault(string key) => Name == "ports" && key == "protocol" ? "TCP" : null;
    }
}
