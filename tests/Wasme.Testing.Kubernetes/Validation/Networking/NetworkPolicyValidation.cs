using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Validation.Networking;

/// <summary>
/// networking.k8s.io/v1 NetworkPolicies as kube-apiserver 1.32's ValidateNetworkPolicySpec judges them: selectors,
/// ports (protocol, number or name, endPort), peers (one kind each, ipBlock alone), and policy types. CIDRs of ipBlocks
/// are not parsed here.
/// </summary>
internal static class NetworkPolicyValidation
{
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] PolicyTypes = ["Egress", "Ingress"];

    public static IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var errors = new List<FieldError>(LabelSelectorValidation.Selector(spec["podSelector"], "spec.podSelector"));
        errors.AddRange(Rules("ingress", "from", spec));
        errors.AddRange(Rules("egress", "to", spec));
        var types = spec["policyTypes"] as JsonArray ?? [];
        if (types.Count > PolicyTypes.Length)
        {
            errors.Add(new FieldError("spec.policyTypes", "FieldValueInvalid", $"Invalid value: {GoSyntax.Strings(types).Replace("[]string", "&[]networking.PolicyType", StringComparison.Ordinal)}: may not specify more than two policyTypes"));
            return errors;
        }

        for (var i = 0; i < types.Count; i++)
        {
            var type = types[i]?.ToString() ?? "";
            if (!PolicyTypes.Contains(type))
            {
                errors.Add(Validation.Rules.NotSupported($"spec.policyTypes[{i}]", type, PolicyTypes));
            }
        }

        return errors;
    }

    private static IEnumerable<FieldError> Rules(string direction, string peersField, JsonObject spec)
    {
        var index = 0;
        foreach (var rule in (spec[direction] as JsonArray ?? []).OfType<JsonObject>())
        {
            var at = $"spec.{direction}[{index++}]";
            var portIndex = 0;
            foreach (var port in (rule["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var error in Port(port, $"{at}.ports[{portIndex++}]"))
                {
                    yield return error;
                }
            }

            var peerIndex = 0;
            foreach (var peer in (rule[peersField] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var error in Peer(peer, $"{at}.{peersField}[{peerIndex++}]"))
                {
                    yield return error;
                }
            }
        }
    }

    private static IEnumerable<FieldError> Port(JsonObject port, string at)
    {
        if (port.GetString("protocol") is { } protocol && !Protocols.Contains(protocol))
        {
            yield return Validation.Rules.NotSupported($"{at}.protocol", protocol, Protocols);
        }

        if (port["port"] is not JsonValue value)
        {
            if (port["endPort"] is not null)
            {
                yield return Validation.Rules.Required($"{at}.port", "must specify port when endPort is set");
            }

            yield break;
        }

        if (value.GetValueKind() == JsonValueKind.String)
        {
            if (port["endPort"] is not null)
            {
                yield return FieldError.Forbidden($"{at}.endPort", "may not be specified when `port` is non-numeric");
            }

            var name = value.GetValue<string>();
            foreach (var message in Validation.Rules.PortName(name))
            {
                yield return FieldError.Invalid($"{at}.port", name, message);
            }

            yield break;
        }

        var number = Values.Long(value) ?? 0;
        if (number is < 1 or > 65535)
        {
            yield return Validation.Rules.Invalid($"{at}.port", number, Validation.Rules.PortRange);
        }

        if (Values.Long(port["endPort"]) is { } end)
        {
            if (end < number)
            {
                yield return Validation.Rules.Invalid($"{at}.endPort", end, "must be greater than or equal to `port`");
            }

            if (end is < 1 or > 65535)
            {
                yield return Validation.Rules.Invalid($"{at}.endPort", end, Validation.Rules.PortRange);
            }
        }
    }

    private static IEnumerable<FieldError> Peer(JsonObject peer, string at)
    {
        var kinds = new[] { "podSelector", "namespaceSelector", "ipBlock" }.Count(k => peer[k] is JsonObject);
        if (kinds == 0)
        {
            yield return Validation.Rules.Required(at, "must specify a peer");
        }
        else if (kinds > 1 && peer["ipBlock"] is JsonObject)
        {
            yield return FieldError.Forbidden(at, "may not specify both ipBlock and another peer");
        }

        foreach (var error in LabelSelectorValidation.Selector(peer["podSelector"], $"{at}.podSelector")
            .Concat(LabelSelectorValidation.Selector(peer["namespaceSelector"], $"{at}.namespaceSelector")))
        {
            yield return error;
        }

        if (peer["ipBlock"] is JsonObject block && (block.GetString("cidr") ?? "").Length == 0)
        {
            yield return FieldError.Required($"{at}.ipBlock.cidr");
        }
    }
}
