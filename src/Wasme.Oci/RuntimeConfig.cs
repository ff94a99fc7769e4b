using System.Text.Json;
using System.Text.Json.Serialization;
using Wasme.Oci.Errors;
using Wasme.Oci.Manifests;

namespace Wasme.Oci;

/// <summary>
/// The wasme image config blob and project file <c>runtime-config.json</c>:
/// <c>{"type":"envoy_proxy","abiVersions":[...],"config":{"rootIds":[...]}}</c>.
/// Written compact and camelCase; read in camelCase or the original's snake_case, unknown keys rejected
/// (a typo must not silently drop a root id).
/// </summary>
public sealed record RuntimeConfig
{
    public const string EnvoyProxyType = "envoy_proxy";

    [JsonPropertyName("type")]
    public string Type { get; init; } = EnvoyProxyType;

    [JsonPropertyName("abiVersions")]
    public IReadOnlyList<string> AbiVersions { get; init; } = [];

    [JsonPropertyName("config")]
    public RuntimeRootConfig Config { get; init; } = new();

    /// <summary>Shorthand for <c>Config.RootIds</c>.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> RootIds => Config.RootIds;

    public static RuntimeConfig Create(IEnumerable<string> abiVersions, IEnumerable<string> rootIds) => new()
    {
        AbiVersions = [.. abiVersions],
        Config = new RuntimeRootConfig { RootIds = [.. rootIds] },
    };

    /// <summary>Compact camelCase JSON, byte-for-byte stable for the same values (it is hashed into the image).</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, OciJsonContext.Default.RuntimeConfig);

    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from, for the error message (a file path or "image config").</param>
    public static RuntimeConfig Parse(ReadOnlySpan<byte> json, string source = "runtime config")
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            return FromElement(document.RootElement, source);
        }
        catch (JsonException ex)
        {
            throw new OciUsageException(
                $"{source} is not valid JSON ({ex.Message}). Expected {{\"type\":\"envoy_proxy\",\"abiVersions\":[...],\"config\":{{\"rootIds\":[...]}}}}.", ex);
        }
    }

    private static RuntimeConfig FromElement(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, "the top level must be a JSON object");
        }

        var type = EnvoyProxyType;
        IReadOnlyList<string> abiVersions = [];
        IReadOnlyList<string> rootIds = [];
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "type":
                    type = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()!
                        : throw Invalid(source, "'type' must be a string such as \"envoy_proxy\"");
                    break;
                case "abiVersions" or "abi_versions":
                    abiVersions = ReadStrings(property.Value, source, "abiVersions");
                    break;
                case "config":
                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw Invalid(source, "'config' must be an object like {\"rootIds\":[\"my_root\"]}");
                    }

                    foreach (var inner in property.Value.EnumerateObject())
                    {
                        rootIds = inner.Name is "rootIds" or "root_ids"
                            ? ReadStrings(inner.Value, source, "config.rootIds")
                            : throw Invalid(source, $"unknown key 'config.{inner.Name}' (only 'rootIds' is allowed)");
                    }

                    break;
                default:
                    throw Invalid(source, $"unknown key '{property.Name}' (allowed: type, abiVersions, config)");
            }
        }

        return new RuntimeConfig
        {
            Type = type,
            AbiVersions = abiVersions,
            Config = new RuntimeRootConfig { RootIds = rootIds },
        };
    }

    private static string[] ReadStrings(JsonElement element, string source, string name)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(source, $"'{name}' must be an array of strings");
        }

        var values = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            values.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw Invalid(source, $"'{name}' must contain only strings"));
        }

        return [.. values];
    }

    private static OciUsageException Invalid(string source, string problem) =>
        new($"{source} is invalid: {problem}.");
}

/// <summary>The <c>config</c> part of <see cref="RuntimeConfig"/>.</summary>
public sealed record RuntimeRootConfig
{
    [JsonPropertyName("rootIds")]
    public IReadOnlyList<string> RootIds { get; init; } = [];
}
