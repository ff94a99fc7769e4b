using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Admission.Istio;

/// <summary>
/// istiod's conversion of an EnvoyFilter patch value to Envoy's proto (xds.BuildXDSObjectFromStruct), for the few
/// messages wasme emits only: an HTTP_FILTER's HttpFilter, the Wasm filter config under it, and StringValue and
/// TypedStruct Anys. istiod converts twice: leniently (unknown fields dropped; an Any type it cannot resolve refuses
/// the object) and then strictly, where the first unknown field is only a warning. Every other message, and value
/// types, are not judged here.
/// </summary>
internal static class PatchValueRules
{
    private const string Wasm = "envoy.extensions.filters.http.wasm.v3.Wasm";

    // Message: its fields (proto names) and the message each message-typed field holds ("Any" for an Any).
    private static readonly Dictionary<string, Dictionary<string, string?>> Messages = new(StringComparer.Ordinal)
    {
        ["envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter"] = new() { ["name"] = null, ["typed_config"] = "Any", ["config_discovery"] = null, ["is_optional"] = null, ["disabled"] = null },
        [Wasm] = new() { ["config"] = "envoy.extensions.wasm.v3.PluginConfig" },
        ["envoy.extensions.wasm.v3.PluginConfig"] = new()
        {
            ["name"] = null, ["root_id"] = null, ["vm_config"] = "envoy.extensions.wasm.v3.VmConfig", ["configuration"] = "Any", ["fail_open"] = null,
            ["capability_restriction_config"] = null, ["failure_policy"] = null, ["reload_config"] = null, ["allow_on_headers_stop_iteration"] = null,
        },
        ["envoy.extensions.wasm.v3.VmConfig"] = new()
        {
            ["vm_id"] = null, ["runtime"] = null, ["code"] = "envoy.config.core.v3.AsyncDataSource", ["configuration"] = "Any", ["allow_precompiled"] = null,
            ["nack_on_code_cache_miss"] = null, ["environment_variables"] = null,
        },
        ["envoy.config.core.v3.AsyncDataSource"] = new() { ["local"] = "envoy.config.core.v3.DataSource", ["remote"] = "envoy.config.core.v3.RemoteDataSource" },
        ["envoy.config.core.v3.DataSource"] = new() { ["filename"] = null, ["inline_bytes"] = null, ["inline_string"] = null, ["environment_variable"] = null, ["watched_directory"] = null },
        ["envoy.config.core.v3.RemoteDataSource"] = new() { ["http_uri"] = "envoy.config.core.v3.HttpUri", ["sha256"] = null, ["retry_policy"] = "envoy.config.core.v3.RetryPolicy" },
        ["envoy.config.core.v3.HttpUri"] = new() { ["uri"] = null, ["cluster"] = null, ["timeout"] = null },
        ["envoy.config.core.v3.RetryPolicy"] = new() { ["retry_back_off"] = null, ["num_retries"] = null, ["retry_on"] = null, ["retry_priority"] = null, ["retry_host_predicate"] = null, ["host_selection_retry_max_attempts"] = null },
        ["google.protobuf.StringValue"] = new() { ["value"] = null },
        ["udpa.type.v1.TypedStruct"] = new() { ["type_url"] = null, ["value"] = null },
        ["xds.type.v3.TypedStruct"] = new() { ["type_url"] = null, ["value"] = null },
    };

    public static void Validate(string applyTo, JsonObject? value, IstioFindings findings)
    {
        if (value is null || applyTo != "HTTP_FILTER")
        {
            return;
        }

        if (FindUnresolvableAny(value) is { } typeUrl)
        {
            findings.Error($"referenced type unknown (hint: try using the v3 XDS API): Envoy filter: could not resolve Any message type: {typeUrl}");
            return;
        }

        if (FirstUnknownField(value, "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter") is { } unknown)
        {
            findings.Warning($"Envoy filter: unknown field {SelectorRules.GoQuote(unknown.Field)} in {unknown.Message}");
        }
    }

    // Istio links only Envoy's v3 API, so a v2 type URL cannot be resolved; other URLs are taken as known.
    private static string? FindUnresolvableAny(JsonNode? node) => node switch
    {
        JsonObject obj when SelectorRules.Text(obj["@type"]) is { } url && url.Contains(".v2.", StringComparison.Ordinal) => url,
        JsonObject obj => obj.Select(p => FindUnresolvableAny(p.Value)).FirstOrDefault(u => u is not null),
        JsonArray array => array.Select(FindUnresolvableAny).FirstOrDefault(u => u is not null),
        _ => null,
    };

    private static (string Field, string Message)? FirstUnknownField(JsonObject obj, string message)
    {
        if (!Messages.TryGetValue(message, out var fields))
        {
            return null;
        }

        foreach (var (name, child) in obj)
        {
            if (name == "@type")
            {
                continue;
            }

            var protoName = fields.ContainsKey(name) ? name : fields.Keys.FirstOrDefault(f => JsonName(f) == name);
            if (protoName is null)
            {
                return (name, message);
            }

            var type = fields[protoName];
            var inner = type == "Any" ? TypeName(SelectorRules.Text((child as JsonObject)?["@type"])) : type;
            if (inner is not null && child is JsonObject childObject && FirstUnknownField(childObject, inner) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string TypeName(string typeUrl) => typeUrl[(typeUrl.LastIndexOf('/') + 1)..];

    private static string JsonName(string protoName)
    {
        var parts = protoName.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
