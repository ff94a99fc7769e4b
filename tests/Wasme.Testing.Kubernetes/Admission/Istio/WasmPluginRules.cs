using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Admission.Istio;

/// <summary>istiod's ValidateWasmPlugin, its checks in its order.</summary>
internal static class WasmPluginRules
{
    private static readonly HashSet<string> Schemes = ["", "file", "http", "https", "oci"];

    public static void Validate(JsonObject spec, IstioFindings findings)
    {
        SelectorRules.OneOf(spec, "selector", findings);
        var selector = spec["selector"] as JsonObject;
        SelectorRules.Labels(selector?["matchLabels"] as JsonObject, findings, selector is not null);
        if (selector is not null && selector["matchLabels"] is not JsonObject { Count: > 0 })
        {
            findings.Warning("workload selector specified without labels");
        }

        SelectorRules.TargetRef(spec["targetRef"] as JsonObject, findings);
        foreach (var targetRef in (spec["targetRefs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            SelectorRules.TargetRef(targetRef, findings);
        }

        Url(SelectorRules.Text(spec["url"]), findings);
        Sha256(SelectorRules.Text(spec["sha256"]), findings);
        if (SelectorRules.Text(spec["imagePullSecret"]).Length > 253)
        {
            findings.Error("imagePullSecret field must be less than 253 characters long");
        }

        if (SelectorRules.Text(spec["pluginName"]).Length > 256)
        {
            findings.Error("pluginName field must be less than 255 characters long");
        }

        VmConfig(spec["vmConfig"] as JsonObject, findings);
        Match(spec["match"] as JsonArray, findings);
    }

    // strictParseURL: Go's url.ParseRequestURI, retried with "http://" in front; only the scheme matters after.
    private static void Url(string url, IstioFindings findings)
    {
        if (url.Length == 0)
        {
            findings.Error("url field needs to be set");
            return;
        }

        if (url.Any(c => c < 0x20 || c == 0x7f))
        {
            findings.Error($"failed to parse url: parse {SelectorRules.GoQuote(url)}: net/url: invalid control character in URL");
            return;
        }

        var scheme = SchemeOf(url);
        if (!Schemes.Contains(scheme))
        {
            findings.Error($"url contains unsupported scheme: {scheme}");
        }
    }

    // Go's getScheme: a letter, then letters, digits, '+', '-', '.', up to ':'; anything else means no scheme, and
    // without one ParseRequestURI fails, so istiod reparses with "http://".
    private static string SchemeOf(string url)
    {
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !char.IsAsciiLetter(url[0]) || !url[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            return url.StartsWith('/') ? "" : "http";
        }

        var scheme = url[..colon].ToLowerInvariant();
        var rest = url[(colon + 1)..];

        // ParseRequestURI refuses an opaque URI ("host:5000/x" reads as scheme "host"); the "http://" retry then wins.
        return rest.StartsWith('/') ? scheme : "http";
    }

    private static void Sha256(string sha, IstioFindings findings)
    {
        if (sha.Length == 0)
        {
            return;
        }

        if (sha.Length != 64)
        {
            findings.Error("sha256 field must be 64 characters long");
        }
        else if (!sha.All(c => c is >= 'a' and <= 'f' or >= '0' and <= '9'))
        {
            findings.Error("sha256 field must match [a-f0-9]{64} pattern");
        }
    }

    // Returns at the first problem, as istiod does.
    private static void VmConfig(JsonObject? vm, IstioFindings findings)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var env in (vm?["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = SelectorRules.Text(env["name"]);
            string? problem = name.Length == 0 ? "spec.vmConfig.env invalid"
                : name.Length > 256 ? "env.name field must be less than 255 characters long"
                : !names.Add(name) ? "duplicate env"
                : SelectorRules.Text(env["valueFrom"]) is not ("" or "INLINE") && SelectorRules.Text(env["value"]).Length > 0 ? "value may only be set when valueFrom is INLINE"
                : null;
            if (problem is not null)
            {
                findings.Error(problem);
                return;
            }
        }
    }

    private static void Match(JsonArray? match, IstioFindings findings)
    {
        var selectors = match ?? [];
        for (var s = 0; s < selectors.Count; s++)
        {
            if (selectors[s] is not JsonObject selector)
            {
                findings.Error($"spec.Match[{s}] is nil");
                return;
            }

            var ports = selector["ports"] as JsonArray ?? [];
            for (var p = 0; p < ports.Count; p++)
            {
                if (ports[p] is not JsonObject port)
                {
                    findings.Error($"spec.Match[{s}].Ports[{p}] is nil");
                    return;
                }

                var number = port["number"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
                if (number is <= 0 or > 65535)
                {
                    findings.Error($"spec.Match[{s}].Ports[{p}] is out of range: {number}");
                    return;
                }
            }
        }
    }
}
