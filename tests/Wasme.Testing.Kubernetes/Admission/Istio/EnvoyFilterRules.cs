using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Wasme.Testing.Kubernetes.Admission.Istio;

/// <summary>istiod's ValidateEnvoyFilter (pkg/config/validation/envoyfilter), its checks in its order.</summary>
internal static class EnvoyFilterRules
{
    private const string HttpConnectionManager = "envoy.filters.network.http_connection_manager";
    private const int MaxProxyVersionLength = 1024;

    // xds.ReverseDeprecatedFilterNames, the names wasme and its users are likely to meet.
    private static readonly Dictionary<string, string> DeprecatedNames = new(StringComparer.Ordinal)
    {
        ["envoy.router"] = "envoy.filters.http.router",
        ["envoy.http_connection_manager"] = HttpConnectionManager,
        ["envoy.cors"] = "envoy.filters.http.cors",
        ["envoy.fault"] = "envoy.filters.http.fault",
        ["envoy.lua"] = "envoy.filters.http.lua",
        ["envoy.tcp_proxy"] = "envoy.filters.network.tcp_proxy",
    };

    public static void Validate(JsonObject spec, IstioFindings findings)
    {
        findings.Warning("EnvoyFilter exposes internal implementation details that may change at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.");

        // A selector error ends validation at once, with only that error.
        if (spec["workloadSelector"] is JsonObject selector)
        {
            var selectorFindings = new IstioFindings();
            SelectorRules.Labels(selector["labels"] as JsonObject, selectorFindings, present: true);
            if (selectorFindings.Errors.Count > 0)
            {
                findings.Warnings.Clear();
                findings.Errors.AddRange(selectorFindings.Errors);
                return;
            }

            if (selector["labels"] is not JsonObject { Count: > 0 })
            {
                findings.Warning("Envoy filter: workload selector specified without labels, will be applied to all services in namespace");
            }
        }

        foreach (var node in spec["configPatches"] as JsonArray ?? [])
        {
            ConfigPatch(node as JsonObject, findings);
        }
    }

    private static void ConfigPatch(JsonObject? patch, IstioFindings findings)
    {
        if (patch is null)
        {
            findings.Error("Envoy filter: null config patch");
            return;
        }

        var match = patch["match"] as JsonObject;
        if (SelectorRules.Text(match?["context"]) == "WAYPOINT")
        {
            return;
        }

        var applyTo = SelectorRules.Text(patch["applyTo"]);
        if (applyTo is "" or "INVALID")
        {
            findings.Error("Envoy filter: missing applyTo");
            return;
        }

        if (patch["patch"] is not JsonObject body)
        {
            findings.Error("Envoy filter: missing patch");
            return;
        }

        var operation = SelectorRules.Text(body["operation"]);
        if (operation is "" or "INVALID")
        {
            findings.Error("Envoy filter: missing patch operation");
            return;
        }

        var value = body["value"] as JsonObject;
        if (operation != "REMOVE" && value is null)
        {
            findings.Error("Envoy filter: missing patch value for non-remove operation");
            return;
        }

        var proxyVersion = SelectorRules.Text((match?["proxy"] as JsonObject)?["proxyVersion"]);
        if (proxyVersion.Length > MaxProxyVersionLength)
        {
            findings.Warning($"Envoy filter: proxyVersion match exceeds {MaxProxyVersionLength} characters and will be ignored");
        }
        else if (proxyVersion.Length > 0 && !CompilesAsRegex(proxyVersion))
        {
            findings.Error("Envoy filter: invalid regex for proxy version, [error parsing regexp: ...]");
            return;
        }

        if (!MatchLinesUp(applyTo, match, findings))
        {
            return;
        }

        PatchValueRules.Validate(applyTo, value, findings);
    }

    // Whether applyTo and match agree; false when istiod stops judging this patch.
    private static bool MatchLinesUp(string applyTo, JsonObject? match, IstioFindings findings)
    {
        var listener = match?["listener"] as JsonObject;
        var hasObjectType = listener is not null || match?["routeConfiguration"] is JsonObject || match?["cluster"] is JsonObject;
        if (!hasObjectType)
        {
            return true;
        }

        switch (applyTo)
        {
            case "LISTENER" or "FILTER_CHAIN" or "NETWORK_FILTER" or "HTTP_FILTER":
                if (listener is null)
                {
                    findings.Error("Envoy filter: applyTo for listener class objects cannot have non listener match");
                    return false;
                }

                if ((listener["filterChain"] as JsonObject)?["filter"] is not JsonObject filter)
                {
                    return true;
                }

                if (applyTo is "LISTENER" or "FILTER_CHAIN")
                {
                    findings.Warning($"Envoy filter: filter match has no effect when used with {applyTo}");
                }

                var name = SelectorRules.Text(filter["name"]);
                var subFilter = filter["subFilter"] as JsonObject;
                if (name.Length == 0)
                {
                    findings.Error("Envoy filter: filter match has no name to match on");
                    return false;
                }

                if (subFilter is not null)
                {
                    if (applyTo != "HTTP_FILTER")
                    {
                        findings.Error("Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only");
                        return false;
                    }

                    if (name is not HttpConnectionManager and not "envoy.http_connection_manager")
                    {
                        findings.Error($"Envoy filter: subfilter match requires filter match with {HttpConnectionManager}");
                        return false;
                    }

                    if (SelectorRules.Text(subFilter["name"]).Length == 0)
                    {
                        findings.Error("Envoy filter: subfilter match has no name to match on");
                        return false;
                    }
                }

                DeprecatedName(name, findings);
                DeprecatedName(SelectorRules.Text(subFilter?["name"]), findings);
                return true;
            case "ROUTE_CONFIGURATION" or "VIRTUAL_HOST" or "HTTP_ROUTE" when !(match?["routeConfiguration"] is JsonObject):
                findings.Error("Envoy filter: applyTo for http route class objects cannot have non route configuration match");
                return true;
            case "CLUSTER" when !(match?["cluster"] is JsonObject):
                findings.Error("Envoy filter: applyTo for cluster class objects cannot have non cluster match");
                return true;
            default:
                return true;
        }
    }

    private static void DeprecatedName(string name, IstioFindings findings)
    {
        if (DeprecatedNames.TryGetValue(name, out var canonical))
        {
            findings.Warning($"using deprecated filter name {SelectorRules.GoQuote(name)}; use {SelectorRules.GoQuote(canonical)} instead");
        }
    }

    // Go's RE2 syntax differs from .NET's; a pattern .NET cannot parse is taken as one Go cannot either.
    private static bool CompilesAsRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
