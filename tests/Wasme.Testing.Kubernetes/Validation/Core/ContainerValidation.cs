using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Validation.Core;

/// <summary>
/// Containers and init containers as kube-apiserver 1.32 judges them (validateContainerCommon and what follows it):
/// names, image, ports, env, volume mounts, pull policy, resources, probes. Values the server would default
/// (protocol, pull policy, probe periods) are judged as defaulted: absent is fine.
/// </summary>
internal static class ContainerValidation
{
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] PullPolicies = ["Always", "IfNotPresent", "Never"];
    private static readonly string[] TerminationMessagePolicies = ["File", "FallbackToLogsOnError"];
    private static readonly string[] Schemes = ["HTTP", "HTTPS"];
    private static readonly string[] ProbeHandlers = ["exec", "httpGet", "tcpSocket", "grpc"];
    private static readonly string[] EnvSources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"];
    private static readonly string[] ContainerResources = ["cpu", "memory", "ephemeral-storage"];

    private static readonly string[] DownwardFields =
    [
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
        "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
    ];

    // The pod field labels the downward API converts; others fail the conversion itself.
    private static readonly string[] ConvertibleFields =
    [
        .. DownwardFields, "spec.restartPolicy", "spec.schedulerName", "spec.hostNetwork", "status.phase",
    ];

    public static IEnumerable<FieldError> Containers(JsonArray? containers, HashSet<string> volumes, string path)
    {
        if (containers is not { Count: > 0 })
        {
            yield return FieldError.Required(path);
            yield break;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var container in containers.OfType<JsonObject>())
        {
            var at = $"{path}[{index++}]";
            foreach (var error in Common(container, volumes, at))
            {
                yield return error;
            }

            var name = container.GetString("name") ?? "";
            if (!names.Add(name))
            {
                yield return Rules.Duplicate($"{at}.name", name);
            }

            foreach (var error in Probe(container["livenessProbe"], $"{at}.livenessProbe", mustSucceedOnce: true)
                .Concat(Probe(container["readinessProbe"], $"{at}.readinessProbe", mustSucceedOnce: false))
                .Concat(Probe(container["startupProbe"], $"{at}.startupProbe", mustSucceedOnce: true)))
            {
                yield return error;
            }

            if (container["restartPolicy"] is not null)
            {
                yield return FieldError.Forbidden($"{at}.restartPolicy", "may not be set for non-init containers");
            }
        }
    }

    public static IEnumerable<FieldError> InitContainers(JsonArray? initContainers, JsonArray? containers, HashSet<string> volumes, string path)
    {
        var names = new HashSet<string>((containers ?? []).OfType<JsonObject>().Select(c => c.GetString("name") ?? ""), StringComparer.Ordinal);
        var index = 0;
        foreach (var container in (initContainers ?? []).OfType<JsonObject>())
        {
            var at = $"{path}[{index++}]";
            foreach (var error in Common(container, volumes, at))
            {
                yield return error;
            }

            var name = container.GetString("name") ?? "";
            if (!names.Add(name))
            {
                yield return Rules.Duplicate($"{at}.name", name);
            }

            var sidecar = container.GetString("restartPolicy") == "Always";
            if (container.GetString("restartPolicy") is { } policy && !sidecar)
            {
                yield return Rules.NotSupported($"{at}.restartPolicy", policy, "Always");
            }

            foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
            {
                if (container[probe] is null)
                {
                    continue;
                }

                if (!sidecar)
                {
                    yield return FieldError.Forbidden($"{at}.{probe}", "may not be set for init containers without restartPolicy=Always");
                    continue;
                }

                foreach (var error in Probe(container[probe], $"{at}.{probe}", mustSucceedOnce: probe != "readinessProbe"))
                {
                    yield return error;
                }
            }
        }
    }

    private static IEnumerable<FieldError> Common(JsonObject container, HashSet<string> volumes, string at)
    {
        var name = container.GetString("name") ?? "";
        if (name.Length == 0)
        {
            yield return FieldError.Required($"{at}.name");
        }
        else
        {
            foreach (var message in ObjectMetadata.Dns1123Label(name))
            {
                yield return FieldError.Invalid($"{at}.name", name, message);
            }
        }

        if ((container.GetString("image") ?? "").Length == 0)
        {
            yield return FieldError.Required($"{at}.image");
        }

        if (container.GetString("terminationMessagePolicy") is { } terminationPolicy && !TerminationMessagePolicies.Contains(terminationPolicy))
        {
            yield return Rules.NotSupported($"{at}.terminationMessagePolicy", terminationPolicy, TerminationMessagePolicies);
        }

        foreach (var error in Ports(container["ports"] as JsonArray, $"{at}.ports")
            .Concat(Env(container["env"] as JsonArray, $"{at}.env"))
            .Concat(Mounts(container["volumeMounts"] as JsonArray, volumes, $"{at}.volumeMounts")))
        {
            yield return error;
        }

        if (container.GetString("imagePullPolicy") is { } pullPolicy && !PullPolicies.Contains(pullPolicy))
        {
            yield return Rules.NotSupported($"{at}.imagePullPolicy", pullPolicy, PullPolicies);
        }

        foreach (var error in Resources(container["resources"] as JsonObject, $"{at}.resources")
            .Concat(PodSpecValidation.SecurityContextIds(container["securityContext"] as JsonObject, $"{at}.securityContext")))
        {
            yield return error;
        }
    }

    private static IEnumerable<FieldError> Ports(JsonArray? ports, string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var port in (ports ?? []).OfType<JsonObject>())
        {
            var at = $"{path}[{index++}]";
            if (port.GetString("name") is { Length: > 0 } name)
            {
                var messages = Rules.PortName(name).ToList();
                foreach (var message in messages)
                {
                    yield return FieldError.Invalid($"{at}.name", name, message);
                }

                if (messages.Count == 0 && !names.Add(name))
                {
                    yield return Rules.Duplicate($"{at}.name", name);
                }
            }

            var containerPort = Values.Long(port["containerPort"]) ?? 0;
            if (containerPort == 0)
            {
                yield return FieldError.Required($"{at}.containerPort");
            }
            else if (containerPort is < 1 or > 65535)
            {
                yield return Rules.Invalid($"{at}.containerPort", containerPort, Rules.PortRange);
            }

            if (Values.Long(port["hostPort"]) is { } hostPort and not 0 && hostPort is < 1 or > 65535)
            {
                yield return Rules.Invalid($"{at}.hostPort", hostPort, Rules.PortRange);
            }

            if (port.GetString("protocol") is { } protocol && !Protocols.Contains(protocol))
            {
                yield return Rules.NotSupported($"{at}.protocol", protocol, Protocols);
            }
        }
    }

    private static IEnumerable<FieldError> Env(JsonArray? env, string path)
    {
        var index = 0;
        foreach (var variable in (env ?? []).OfType<JsonObject>())
        {
            var at = $"{path}[{index++}]";
            var name = variable.GetString("name") ?? "";
            if (name.Length == 0)
            {
                yield return FieldError.Required($"{at}.name");
                yield return FieldError.Invalid($"{at}.name", name, "environment variable name must be non-empty");
            }
            else if (name.Any(c => c is < ' ' or > '~' or '='))
            {
                // RelaxedEnvironmentVariableValidation is on by default in 1.32: any printable ASCII but '='.
                yield return FieldError.Invalid($"{at}.name", name, "a valid environment variable name must consist only of printable ASCII characters other than '='");
            }

            if (variable["valueFrom"] is not JsonObject from)
            {
                continue;
            }

            if (from["fieldRef"] is JsonObject fieldRef)
            {
                var fieldPath = fieldRef.GetString("fieldPath") ?? "";
                var plain = fieldPath.Split('[')[0];
                if (fieldPath.Length == 0)
                {
                    yield return FieldError.Required($"{at}.valueFrom.fieldRef.fieldPath");
                }
                else if (!ConvertibleFields.Contains(plain) && !(plain is "metadata.labels" or "metadata.annotations" && fieldPath.EndsWith("']", StringComparison.Ordinal)))
                {
                    yield return FieldError.Invalid($"{at}.valueFrom.fieldRef.fieldPath", fieldPath, $"error converting fieldPath: field label not supported: {fieldPath}");
                }
                else if (!DownwardFields.Contains(plain))
                {
                    yield return Rules.NotSupported($"{at}.valueFrom.fieldRef.fieldPath", plain, DownwardFields);
                }
            }

            foreach (var keyRef in new[] { "configMapKeyRef", "secretKeyRef" })
            {
                if (from[keyRef] is JsonObject reference && (reference.GetString("key") ?? "").Length == 0)
                {
                    yield return FieldError.Required($"{at}.valueFrom.{keyRef}.key");
                }
            }

            var sources = EnvSources.Count(s => from[s] is JsonObject);
            if (sources == 0)
            {
                yield return FieldError.Invalid($"{at}.valueFrom", "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
            }
            else if ((variable.GetString("value") ?? "").Length > 0)
            {
                yield return FieldError.Invalid($"{at}.valueFrom", "", "may not be specified when `value` is not empty");
            }
            else if (sources > 1)
            {
                yield return FieldError.Invalid($"{at}.valueFrom", "", "may not have more than one field specified at a time");
            }
        }
    }

    private static IEnumerable<FieldError> Mounts(JsonArray? mounts, HashSet<string> volumes, string path)
    {
        var mountPaths = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var mount in (mounts ?? []).OfType<JsonObject>())
        {
            var at = $"{path}[{index++}]";
            var name = mount.GetString("name") ?? "";
            if (name.Length == 0)
            {
                yield return FieldError.Required($"{at}.name");
            }

            if (!volumes.Contains(name))
            {
                yield return Rules.NotFound($"{at}.name", name);
            }

            var mountPath = mount.GetString("mountPath") ?? "";
            if (mountPath.Length == 0)
            {
                yield return FieldError.Required($"{at}.mountPath");
            }

            if (!mountPaths.Add(mountPath))
            {
                yield return FieldError.Invalid($"{at}.mountPath", mountPath, "must be unique");
            }

            if (mount.GetString("subPath") is { Length: > 0 } subPath)
            {
                if (subPath.StartsWith('/'))
                {
                    yield return FieldError.Invalid($"{at}.subPath", subPath, "must be a relative path");
                }

                if (subPath.Split('/', '\\').Contains(".."))
                {
                    yield return FieldError.Invalid($"{at}.subPath", subPath, "must not contain '..'");
                }
            }
        }
    }

    private static IEnumerable<FieldError> Resources(JsonObject? resources, string path)
    {
        var limits = resources?["limits"] as JsonObject ?? [];
        var requests = resources?["requests"] as JsonObject ?? [];
        foreach (var (name, value) in limits)
        {
            foreach (var error in ResourceValue(name, value, $"{path}.limits[{name}]"))
            {
                yield return error;
            }
        }

        foreach (var (name, value) in requests)
        {
            foreach (var error in ResourceValue(name, value, $"{path}.requests[{name}]"))
            {
                yield return error;
            }

            if (Quantity.Parse(value) is not { } request || Quantity.Parse(limits[name]) is not { } limit)
            {
                continue;
            }

            // Extended resources (GPUs) and huge pages cannot be overcommitted: their request must be their limit.
            if (request.Value != limit.Value && !Overcommittable(name))
            {
                yield return FieldError.Invalid($"{path}.requests", request.ToString(), $"must be equal to {name} limit of {limit}");
            }
            else if (request.Value > limit.Value)
            {
                yield return FieldError.Invalid($"{path}.requests", request.ToString(), $"must be less than or equal to {name} limit of {limit}");
            }
        }

        foreach (var (name, _) in requests)
        {
            if (!Overcommittable(name) && limits[name] is null)
            {
                yield return Rules.Required($"{path}.limits", "Limit must be set for non overcommitable resources");
            }
        }
    }

    // IsOvercommitAllowed: native resources (no domain, or kubernetes.io's) other than huge pages.
    private static bool Overcommittable(string name) =>
        (!name.Contains('/', StringComparison.Ordinal) || name.Contains("kubernetes.io/", StringComparison.Ordinal)) && !name.StartsWith("hugepages-", StringComparison.Ordinal);

    private static IEnumerable<FieldError> ResourceValue(string name, JsonNode? value, string at)
    {
        foreach (var message in ObjectMetadata.QualifiedName(name))
        {
            yield return FieldError.Invalid(at, name, message);
        }

        if (!name.Contains('/', StringComparison.Ordinal) && !ContainerResources.Contains(name) && !name.StartsWith("hugepages-", StringComparison.Ordinal))
        {
            yield return FieldError.Invalid(at, name, "must be a standard resource type or fully qualified");
            yield return FieldError.Invalid(at, name, "must be a standard resource for containers");
        }

        if (Quantity.Parse(value) is { } quantity)
        {
            if (quantity.Sign < 0)
            {
                yield return FieldError.Invalid(at, quantity.ToString(), Rules.Negative);
            }

            if (name is not ("cpu" or "memory" or "ephemeral-storage") && !name.StartsWith("hugepages-", StringComparison.Ordinal) && decimal.Truncate(quantity.Value) != quantity.Value)
            {
                yield return FieldError.Invalid(at, quantity.ToString(), "must be an integer");
            }
        }
    }

    private static IEnumerable<FieldError> Probe(JsonNode? node, string at, bool mustSucceedOnce)
    {
        if (node is not JsonObject probe)
        {
            yield break;
        }

        var handlers = 0;
        foreach (var handler in ProbeHandlers)
        {
            if (probe[handler] is not JsonObject action)
            {
                continue;
            }

            if (handlers++ > 0)
            {
                yield return FieldError.Forbidden($"{at}.{handler}", "may not specify more than 1 handler type");
                continue;
            }

            foreach (var error in Handler(handler, action, $"{at}.{handler}"))
            {
                yield return error;
            }
        }

        if (handlers == 0)
        {
            yield return Rules.Required(at, "must specify a handler type");
        }

        foreach (var field in new[] { "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold" })
        {
            foreach (var error in Rules.Nonnegative(probe[field], $"{at}.{field}"))
            {
                yield return error;
            }
        }

        if (Values.Long(probe["terminationGracePeriodSeconds"]) is <= 0 and var grace)
        {
            yield return Rules.Invalid($"{at}.terminationGracePeriodSeconds", grace, "must be greater than 0");
        }

        // Liveness and startup probes must succeed once; an absent threshold is defaulted to 1.
        if (mustSucceedOnce && Values.Long(probe["successThreshold"]) is { } threshold and not 1 and not 0)
        {
            yield return Rules.Invalid($"{at}.successThreshold", threshold, "must be 1");
        }
    }

    /// <summary>A probe's or lifecycle hook's action.</summary>
    internal static IEnumerable<FieldError> Handler(string handler, JsonObject action, string at)
    {
        switch (handler)
        {
            case "exec":
                if (action["command"] is not JsonArray { Count: > 0 })
                {
                    yield return FieldError.Required($"{at}.command");
                }

                break;
            case "httpGet":
                foreach (var error in PortRequired(action, at))
                {
                    yield return error;
                }

                if (action.GetString("scheme") is { } scheme && !Schemes.Contains(scheme))
                {
                    yield return Rules.NotSupported($"{at}.scheme", scheme, Schemes);
                }

                break;
            case "tcpSocket":
                foreach (var error in PortRequired(action, at))
                {
                    yield return error;
                }

                break;
            case "grpc":
                if (Values.Long(action["port"]) is { } grpcPort && grpcPort is < 1 or > 65535)
                {
                    yield return Rules.Invalid($"{at}.port", grpcPort, Rules.PortRange);
                }

                break;
        }
    }

    private static IEnumerable<FieldError> PortRequired(JsonObject action, string at) =>
        action["port"] is null ? [Rules.Invalid($"{at}.port", 0, Rules.PortRange)] : Rules.PortNumberOrName(action["port"], $"{at}.port");
}
