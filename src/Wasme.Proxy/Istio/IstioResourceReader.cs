using System.Globalization;
using System.Text;
using System.Text.Json;
using Wasme.Istio.Yaml;
using Wasme.ProxyWasm;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Wasme.Proxy.Istio;

/// <summary>
/// Reads the Wasm filters out of Istio resources (multi-document YAML): EnvoyFilter patches whose value is an
/// <c>envoy.filters.http.wasm</c> or <c>envoy.filters.network.wasm</c> filter, or a BOOTSTRAP patch with an
/// <c>envoy.bootstrap.wasm</c> service, in any of the shapes Istio has accepted (v2 <c>config</c>, v3
/// <c>typed_config</c>, udpa <c>TypedStruct</c>, camelCase or snake_case), and WasmPlugins. Other kinds are ignored.
/// Pure: no file or network access.
/// </summary>
public static class IstioResourceReader
{
    private const string WasmFilterName = "envoy.filters.http.wasm";
    private const string StringValueType = "type.googleapis.com/google.protobuf.StringValue";
    private static readonly TimeSpan DefaultRemoteTimeout = TimeSpan.FromSeconds(30);

    /// <exception cref="IstioResourceException">The YAML is malformed, or a Wasm filter in it lacks what is needed to run it.</exception>
    public static IReadOnlyList<WasmFilterDefinition> Read(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new DepthLimitedParser(new Parser(new StringReader(yaml))));
        }
        catch (YamlException ex)
        {
            throw new IstioResourceException($"{source}: not valid YAML at line {ex.Start.Line}: {ex.Message}", ex);
        }

        var filters = new List<WasmFilterDefinition>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root)
            {
                continue;
            }

            var kind = Scalar(root, "kind");
            var name = $"{kind} {Scalar(Child(root, "metadata"), "namespace") ?? "default"}/{Scalar(Child(root, "metadata"), "name") ?? "(unnamed)"}";
            var first = filters.Count;
            switch (kind)
            {
                case "EnvoyFilter":
                    ReadEnvoyFilter(root, $"{source}: {name}", filters);
                    break;
                case "WasmPlugin":
                    filters.Add(ReadWasmPlugin(root, $"{source}: {name}"));
                    break;
            }

            var spec = Child(root, "spec");
            var node = NodeOf(root, kind == "WasmPlugin" ? Child(Child(spec, "selector"), "matchLabels") : Child(Child(spec, "workloadSelector", "workload_selector"), "labels"));
            for (var i = first; i < filters.Count; i++)
            {
                filters[i] = filters[i] with { NodeProperties = node };
            }
        }

        if (filters.Count == 0)
        {
            throw new IstioResourceException($"{source}: no Wasm filter found; expected an EnvoyFilter with an {WasmFilterName} patch, or a WasmPlugin");
        }

        return filters;
    }

    private static void ReadEnvoyFilter(YamlMappingNode root, string origin, List<WasmFilterDefinition> filters)
    {
        if (Child(Child(root, "spec"), "configPatches") is not YamlSequenceNode patches)
        {
            return;
        }

        var index = 0;
        foreach (var patch in patches)
        {
            var where = $"{origin} configPatches[{index++}]";
            if (Child(Child(patch, "patch"), "value") is not YamlMappingNode value)
            {
                continue;
            }

            var plugin = FindPluginConfig(value, where);
            if (plugin is not null)
            {
                filters.Add(ReadPluginConfig(plugin.Value.Config, plugin.Value.FailOpenHolder, where) with { Kind = plugin.Value.Kind });
                continue;
            }

            foreach (var (service, singleton) in WasmServices(value, where))
            {
                filters.Add(ReadPluginConfig(service, service, where) with { Kind = WasmFilterKind.Service, Singleton = singleton });
            }
        }
    }

    /// <summary>Finds the PluginConfig (<c>{name, root_id, configuration, vm_config}</c>) in a patch value, whatever wrapping Istio used.</summary>
    private static (YamlMappingNode Config, YamlMappingNode FailOpenHolder, WasmFilterKind Kind)? FindPluginConfig(YamlMappingNode value, string where)
    {
        var typed = Child(value, "typed_config", "typedConfig");
        if (typed is YamlMappingNode typedConfig)
        {
            var type = Scalar(typedConfig, "@type") ?? string.Empty;
            var typeUrl = Scalar(typedConfig, "type_url", "typeUrl") ?? string.Empty;
            var kind = KindOf(type) ?? KindOf(typeUrl);
            var wasm = KindOf(type) is not null ? typedConfig : KindOf(typeUrl) is not null ? Child(typedConfig, "value") as YamlMappingNode : null;
            if (wasm is null || kind is null)
            {
                return null;
            }

            return Child(wasm, "config") is YamlMappingNode config
                ? (config, config, kind.Value)
                : throw new IstioResourceException($"{where}: the Wasm typed_config has no 'config' (the PluginConfig with vm_config)");
        }

        if (Scalar(value, "name") == WasmFilterName && Child(Child(value, "config"), "config") is YamlMappingNode v2)
        {
            return (v2, v2, WasmFilterKind.Http);
        }

        return null;
    }

    private static WasmFilterKind? KindOf(string type) =>
        type.EndsWith("envoy.extensions.filters.http.wasm.v3.Wasm", StringComparison.Ordinal) ? WasmFilterKind.Http
        : type.EndsWith("envoy.extensions.filters.network.wasm.v3.Wasm", StringComparison.Ordinal) ? WasmFilterKind.Network
        : null;

    /// <summary>
    /// Wasm services in a BOOTSTRAP patch: <c>bootstrap_extensions</c> entries (or the value itself) whose typed_config is an
    /// <c>envoy.extensions.wasm.v3.WasmService</c>; yields its PluginConfig and <c>singleton</c>.
    /// </summary>
    private static IEnumerable<(YamlMappingNode Config, bool Singleton)> WasmServices(YamlMappingNode value, string where)
    {
        var candidates = Child(value, "bootstrap_extensions", "bootstrapExtensions") is YamlSequenceNode extensions
            ? extensions.Children.OfType<YamlMappingNode>()
            : [value];
        foreach (var extension in candidates)
        {
            if (Child(extension, "typed_config", "typedConfig") is not YamlMappingNode typed
                || !(Scalar(typed, "@type") ?? string.Empty).EndsWith("envoy.extensions.wasm.v3.WasmService", StringComparison.Ordinal))
            {
                continue;
            }

            var config = Child(typed, "config") as YamlMappingNode
                ?? throw new IstioResourceException($"{where}: the WasmService has no 'config' (the PluginConfig with vm_config)");
            yield return (config, string.Equals(Scalar(typed, "singleton"), "true", StringComparison.OrdinalIgnoreCase));
        }
    }

    private static WasmFilterDefinition ReadPluginConfig(YamlMappingNode config, YamlMappingNode policyHolder, string where)
    {
        var vmConfig = Child(config, "vm_config", "vmConfig") as YamlMappingNode
            ?? throw new IstioResourceException($"{where}: the Wasm filter has no vm_config; add vm_config.code with local.filename or remote.http_uri");
        var code = Child(vmConfig, "code") as YamlMappingNode
            ?? throw new IstioResourceException($"{where}: vm_config has no code; add code.local.filename or code.remote.http_uri");
        WasmCodeSource source;
        if (Child(code, "local") is YamlMappingNode local)
        {
            source = new LocalWasmCode(Scalar(local, "filename")
                ?? throw new IstioResourceException($"{where}: code.local has no filename (inline_bytes/inline_string are not supported)"));
        }
        else if (Child(code, "remote") is YamlMappingNode remote)
        {
            var httpUri = Child(remote, "http_uri", "httpUri") as YamlMappingNode
                ?? throw new IstioResourceException($"{where}: code.remote has no http_uri");
            var uriText = Scalar(httpUri, "uri") ?? throw new IstioResourceException($"{where}: code.remote.http_uri has no uri");
            if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new IstioResourceException($"{where}: code.remote.http_uri.uri '{uriText}' is not an absolute http(s) URL");
            }

            var sha256 = Scalar(remote, "sha256");
            if (string.IsNullOrEmpty(sha256))
            {
                // Envoy's RemoteDataSource requires it (envoyproxy/gateway#4379 shows what happens when it is missing).
                throw new IstioResourceException($"{where}: code.remote has no sha256; Envoy refuses remote code without one, so add the module's sha256");
            }

            source = new RemoteWasmCode(uri, Scalar(httpUri, "cluster"), CheckSha256(sha256, where), ParseDuration(Scalar(httpUri, "timeout"), where));
        }
        else
        {
            throw new IstioResourceException($"{where}: vm_config.code has neither local nor remote");
        }

        var name = Scalar(config, "name") ?? string.Empty;
        var rootId = Scalar(config, "root_id", "rootId") ?? string.Empty;
        var vmId = Scalar(vmConfig, "vm_id", "vmId") ?? string.Empty;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var hostKeys = new List<string>();
        if (Child(vmConfig, "environment_variables", "environmentVariables") is YamlMappingNode variables)
        {
            if (Child(variables, "key_values", "keyValues") is YamlMappingNode keyValues)
            {
                foreach (var (key, value) in keyValues.Children)
                {
                    var variable = KeyOf(key, $"{where}: vm_config.environment_variables.key_values");
                    environment[variable] = (value as YamlScalarNode)?.Value
                        ?? throw new IstioResourceException($"{where}: vm_config.environment_variables.key_values.{variable} must be a string");
                }
            }

            if (Child(variables, "host_env_keys", "hostEnvKeys") is YamlSequenceNode keys)
            {
                hostKeys.AddRange(keys.Children.OfType<YamlScalarNode>().Select(k => k.Value ?? string.Empty).Where(k => k.Length > 0));
            }
        }

        return new WasmFilterDefinition(
            name.Length > 0 ? name : rootId.Length > 0 ? rootId : "wasm",
            rootId,
            vmId,
            Configuration(Child(config, "configuration"), where),
            source,
            FailurePolicyOf(policyHolder, where),
            where)
        {
            VmConfiguration = Configuration(Child(vmConfig, "configuration"), where + " vm_config"),
            Environment = environment,
            HostEnvironmentKeys = hostKeys,
        };
    }

    /// <summary>WasmPlugin <c>vmConfig.env</c>: INLINE (the default) values, or HOST ones read from the proxy's environment.</summary>
    private static (Dictionary<string, string> Inline, List<string> Host) ReadWasmPluginEnv(YamlMappingNode spec, string origin)
    {
        var inline = new Dictionary<string, string>(StringComparer.Ordinal);
        var host = new List<string>();
        if (Child(Child(spec, "vmConfig"), "env") is not YamlSequenceNode env)
        {
            return (inline, host);
        }

        foreach (var entry in env.Children.OfType<YamlMappingNode>())
        {
            var name = Scalar(entry, "name");
            if (string.IsNullOrEmpty(name))
            {
                throw new IstioResourceException($"{origin}: spec.vmConfig.env entries need a name");
            }

            switch (Scalar(entry, "valueFrom") ?? "INLINE")
            {
                case "INLINE":
                    inline[name] = Scalar(entry, "value") ?? string.Empty;
                    break;
                case "HOST":
                    host.Add(name);
                    break;
                case var other:
                    throw new IstioResourceException($"{origin}: spec.vmConfig.env {name}: valueFrom '{other}' is not INLINE or HOST");
            }
        }

        return (inline, host);
    }

    private static WasmFilterDefinition ReadWasmPlugin(YamlMappingNode root, string origin)
    {
        var spec = Child(root, "spec") as YamlMappingNode ?? throw new IstioResourceException($"{origin}: no spec");
        var url = Scalar(spec, "url") ?? throw new IstioResourceException($"{origin}: spec.url is required (oci://, http(s):// or file://)");
        var sha256 = Scalar(spec, "sha256");
        sha256 = string.IsNullOrEmpty(sha256) ? null : CheckSha256(sha256, origin);
        WasmCodeSource source;
        if (url.StartsWith("file://", StringComparison.Ordinal))
        {
            source = new LocalWasmCode(url["file://".Length..]);
        }
        else if (url.StartsWith("http://", StringComparison.Ordinal) || url.StartsWith("https://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                throw new IstioResourceException($"{origin}: spec.url '{url}' is not a valid URL; write it as https://HOST/PATH/filter.wasm, oci://REGISTRY/REPO:TAG or file:///PATH");
            }

            source = new RemoteWasmCode(uri, null, sha256, DefaultRemoteTimeout);
        }
        else
        {
            // Istio: no scheme means oci://.
            source = new OciWasmCode(url.StartsWith("oci://", StringComparison.Ordinal) ? url["oci://".Length..] : url, sha256);
        }

        var metadata = Child(root, "metadata");
        var name = $"{Scalar(metadata, "namespace") ?? "default"}.{Scalar(metadata, "name") ?? "wasmplugin"}";
        // istiod sets the plugin's configuration only when pluginConfig has a field: an empty one reaches the filter as 0 bytes.
        var configuration = Child(spec, "pluginConfig") is { } pluginConfig and not YamlMappingNode { Children.Count: 0 } ? ToJson(pluginConfig, $"{origin}: spec.pluginConfig") : string.Empty;
        // Istio's FailStrategy enum; the API server refuses any other word, so a typo must not quietly mean FAIL_CLOSE.
        var policy = Scalar(spec, "failStrategy") switch
        {
            null or "" or "FAIL_CLOSE" => FailurePolicy.FailClosed,
            "FAIL_OPEN" => FailurePolicy.FailOpen,
            "FAIL_RELOAD" => FailurePolicy.Reload,
            var other => throw new IstioResourceException($"{origin}: spec.failStrategy '{other}' is not FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD"),
        };
        var (inline, host) = ReadWasmPluginEnv(spec, origin);
        return new WasmFilterDefinition(name, Scalar(spec, "pluginName") ?? string.Empty, string.Empty, configuration, source, policy, origin)
        {
            Environment = inline,
            HostEnvironmentKeys = host,
            Kind = Scalar(spec, "type") == "NETWORK" ? WasmFilterKind.Network : WasmFilterKind.Http,
        };
    }

    /// <summary>
    /// The node metadata Istio gives the sidecars the resource applies to: its namespace (<c>NAMESPACE</c>) and the
    /// workload labels it selects (<c>LABELS</c>), so filters reading <c>node.metadata</c> see what they would in the mesh.
    /// </summary>
    private static Dictionary<string, string> NodeOf(YamlMappingNode root, YamlNode? labels)
    {
        var node = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Scalar(Child(root, "metadata"), "namespace") is { Length: > 0 } ns)
        {
            node["metadata.NAMESPACE"] = ns;
        }

        if (labels is YamlMappingNode selected)
        {
            foreach (var (key, value) in selected.Children)
            {
                if (key is YamlScalarNode { Value: { Length: > 0 } label } && value is YamlScalarNode { Value: { } text })
                {
                    node["metadata.LABELS." + label] = text;
                }
            }
        }

        return node;
    }

    /// <summary>
    /// Envoy's <c>failure_policy</c> wins unless it is UNSPECIFIED (or absent), which falls back to the <c>fail_open</c> bool.
    /// Envoy refuses a word its enum lacks, so a typo must not quietly mean FAIL_CLOSED.
    /// </summary>
    private static FailurePolicy FailurePolicyOf(YamlMappingNode config, string where)
    {
        switch (Scalar(config, "failure_policy", "failurePolicy"))
        {
            case null or "" or "UNSPECIFIED":
                break;
            case "FAIL_CLOSED":
                return FailurePolicy.FailClosed;
            case "FAIL_OPEN":
                return FailurePolicy.FailOpen;
            case "FAIL_RELOAD":
                return FailurePolicy.Reload;
            case var other:
                throw new IstioResourceException($"{where}: failure_policy '{other}' is not FAIL_CLOSED, FAIL_OPEN, FAIL_RELOAD or UNSPECIFIED");
        }

        // YAML also writes booleans as True and FALSE.
        return Scalar(config, "fail_open", "failOpen")?.ToLowerInvariant() switch
        {
            null or "" or "false" => FailurePolicy.FailClosed,
            "true" => FailurePolicy.FailOpen,
            var other => throw new IstioResourceException($"{where}: fail_open '{other}' is not true or false"),
        };
    }

    /// <summary>A plain string, a StringValue wrapper, or any other object (passed as its JSON text).</summary>
    private static string Configuration(YamlNode? node, string where) => node switch
    {
        null => string.Empty,
        YamlScalarNode scalar => scalar.Value ?? string.Empty,
        YamlMappingNode mapping when Scalar(mapping, "@type") == StringValueType => Scalar(mapping, "value") ?? string.Empty,
        YamlMappingNode mapping when Scalar(mapping, "@type") is { } type =>
            throw new IstioResourceException($"{where}: configuration of type '{type}' is not supported; use {StringValueType}"),
        _ => ToJson(node, $"{where}: configuration"),
    };

    private static string CheckSha256(string sha256, string where)
    {
        var hex = sha256.StartsWith("sha256:", StringComparison.Ordinal) ? sha256["sha256:".Length..] : sha256;
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigitLower))
        {
            throw new IstioResourceException($"{where}: sha256 '{sha256}' is not 64 lower-case hex digits");
        }

        return hex;
    }

    private static TimeSpan ParseDuration(string? text, string where)
    {
        if (string.IsNullOrEmpty(text))
        {
            return DefaultRemoteTimeout;
        }

        // Protobuf JSON durations: "10s", "0.5s".
        if (text.EndsWith('s') && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        throw new IstioResourceException($"{where}: http_uri.timeout '{text}' is not a duration like 10s");
    }

    /// <summary>A mapping key as text: YAML allows lists and mappings as keys (<c>? [a, b]</c>), JSON and protobuf do not.</summary>
    private static string KeyOf(YamlNode key, string where) => key is YamlScalarNode scalar
        ? scalar.Value ?? string.Empty
        : throw new IstioResourceException($"{where}: the key at line {key.Start.Line} is a {(key is YamlSequenceNode ? "list" : "mapping")}; keys must be plain strings");

    private static YamlNode? Child(YamlNode? node, params ReadOnlySpan<string> names)
    {
        if (node is not YamlMappingNode mapping)
        {
            return null;
        }

        foreach (var name in names)
        {
            if (mapping.Children.TryGetValue(new YamlScalarNode(name), out var child))
            {
                return child;
            }
        }

        return null;
    }

    private static string? Scalar(YamlNode? node, params ReadOnlySpan<string> names) => (Child(node, names) as YamlScalarNode)?.Value;

    /// <summary>
    /// Writes a YAML subtree as JSON text (plain scalars that look like numbers, booleans or null keep their type), at most
    /// <see cref="MaxConfigurationJsonBytes"/>: each use of a YAML alias repeats its anchor's whole subtree, so a few lines
    /// of nested aliases would otherwise expand to gigabytes and end the process out of memory.
    /// </summary>
    internal static string ToJson(YamlNode node, string where)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteJson(writer, node, where);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>16 MiB: ten times what a Kubernetes object may hold (etcd's 1.5 MiB request limit).</summary>
    internal const int MaxConfigurationJsonBytes = 16 * 1024 * 1024;

    private static void WriteJson(Utf8JsonWriter writer, YamlNode node, string where)
    {
        if (writer.BytesCommitted + writer.BytesPending > MaxConfigurationJsonBytes)
        {
            throw new IstioResourceException(
                $"{where} expands to more than {MaxConfigurationJsonBytes / (1024 * 1024)} MiB of JSON (each YAML alias repeats its anchor's content); write the configuration out without nested aliases");
        }

        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(KeyOf(key, where));
                    WriteJson(writer, value, where);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence)
                {
                    WriteJson(writer, item, where);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                var text = scalar.Value ?? string.Empty;
                if (scalar.Style != ScalarStyle.Plain)
                {
                    writer.WriteStringValue(text);
                }
                else if (text is "true" or "false")
                {
                    writer.WriteBooleanValue(text == "true");
                }
                else if (text is "null" or "~" or "")
                {
                    writer.WriteNullValue();
                }
                else if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                {
                    writer.WriteNumberValue(integer);
                }
                else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    writer.WriteStringValue(text);
                }

                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
