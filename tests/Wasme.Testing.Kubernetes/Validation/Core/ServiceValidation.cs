using System.Text.Json;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Validation.Core;

/// <summary>
/// Services as kube-apiserver 1.32's ValidateService and ValidateServiceUpdate judge them: type and session affinity,
/// ports (required unless headless or ExternalName; names DNS labels, required and unique when there are several;
/// port range; protocol; targetPort a port number or name; no duplicate port and protocol; no nodePort on ClusterIP),
/// selector labels, and a cluster IP that may not change once set. No IPs are allocated here.
/// </summary>
internal static class ServiceValidation
{
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] Affinities = ["ClientIP", "None"];

    public static IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var type = spec.GetString("type") ?? "ClusterIP";
        var headless = spec.GetString("clusterIP") == "None";
        var ports = (spec["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (ports.Count == 0 && !headless && type != "ExternalName")
        {
            yield return FieldError.Required("spec.ports");
        }

        if (type == "ExternalName")
        {
            var externalName = spec.GetString("externalName") ?? "";
            if (externalName.Length == 0)
            {
                yield return FieldError.Required("spec.externalName");
            }
            else
            {
                foreach (var message in ObjectMetadata.Dns1123Subdomain(externalName.TrimEnd('.')))
                {
                    yield return FieldError.Invalid("spec.externalName", externalName, message);
                }
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            foreach (var error in Port(ports[i], ports.Count > 1, names, $"spec.ports[{i}]"))
            {
                yield return error;
            }
        }

        if (spec.GetString("sessionAffinity") is { } affinity && !Affinities.Contains(affinity))
        {
            yield return Rules.NotSupported("spec.sessionAffinity", affinity, Affinities);
        }

        foreach (var error in LabelSelectorValidation.Labels(spec["selector"], "spec.selector"))
        {
            yield return error;
        }

        if (!Types.Contains(type))
        {
            yield return Rules.NotSupported("spec.type", type, Types);
        }

        for (var i = 0; i < ports.Count; i++)
        {
            if (type == "ClusterIP" && Values.Long(ports[i]["nodePort"]) is { } nodePort and not 0)
            {
                yield return FieldError.Forbidden($"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'");
            }
        }

        // Ports may repeat a number with another protocol.
        var seen = new HashSet<(string, long)>();
        for (var i = 0; i < ports.Count; i++)
        {
            var protocol = ports[i].GetString("protocol") ?? "TCP";
            var number = Values.Long(ports[i]["port"]) ?? 0;
            if (!seen.Add((protocol, number)))
            {
                yield return new FieldError($"spec.ports[{i}]", "FieldValueDuplicate",
                    $"Duplicate value: core.ServicePort{{Name:\"\", Protocol:{GoSyntax.Quote(protocol)}, AppProtocol:(*string)(nil), Port:{Values.Go(number)}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}");
            }
        }

        if (old is not null && ClusterIps(old) is { Count: > 0 } before && ClusterIps(obj) is { Count: > 0 } after && before[0] != after[0]
            && (old["spec"] as JsonObject)?.GetString("type") != "ExternalName" && type != "ExternalName")
        {
            yield return new FieldError("spec.clusterIPs[0]", "FieldValueInvalid", $"Invalid value: {GoSyntax.Strings(new JsonArray(after.Select(ip => (JsonNode?)ip).ToArray()))}: may not change once set");
        }
    }

    private static IEnumerable<FieldError> Port(JsonObject port, bool nameRequired, HashSet<string> names, string at)
    {
        var name = port.GetString("name") ?? "";
        if (nameRequired && name.Length == 0)
        {
            yield return FieldError.Required($"{at}.name");
        }
        else if (name.Length > 0)
        {
            foreach (var message in ObjectMetadata.Dns1123Label(name))
            {
                yield return FieldError.Invalid($"{at}.name", name, message);
            }

            if (!names.Add(name))
            {
                yield return Rules.Duplicate($"{at}.name", name);
            }
        }

        var number = Values.Long(port["port"]) ?? 0;
        if (number is < 1 or > 65535)
        {
            yield return Rules.Invalid($"{at}.port", number, Rules.PortRange);
        }

        if (port.GetString("protocol") is { } protocol && !Protocols.Contains(protocol))
        {
            yield return Rules.NotSupported($"{at}.protocol", protocol, Protocols);
        }

        // An absent or zero targetPort is defaulted to the port.
        if (port["targetPort"] is JsonValue target && !(target.GetValueKind() == JsonValueKind.Number && Values.Long(target) == 0))
        {
            foreach (var error in Rules.PortNumberOrName(target, $"{at}.targetPort"))
            {
                yield return error;
            }
        }
    }

    // The registry fills clusterIPs from clusterIP; either names the primary address.
    private static List<string> ClusterIps(JsonObject service)
    {
        var spec = service["spec"] as JsonObject;
        if (spec?["clusterIPs"] is JsonArray { Count: > 0 } list)
        {
            return [.. list.Select(ip => ip?.ToString() ?? "")];
        }

        return spec?.GetString("clusterIP") is { Length: > 0 } ip ? [ip] : [];
    }
}
