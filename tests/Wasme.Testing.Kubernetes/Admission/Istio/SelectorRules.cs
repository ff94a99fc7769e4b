using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Admission.Istio;

/// <summary>istiod's workload selector and policy targetRef checks (pkg/config/validation), shared by the kinds modelled here.</summary>
internal static class SelectorRules
{
    // Group (canonical: "core" for ""), kind, and how istiod prints each in its refusal.
    private static readonly (string Group, string Kind)[] AllowedTargets =
    [
        ("core", "Service"), ("networking.istio.io", "ServiceEntry"),
        ("gateway.networking.k8s.io", "Gateway"), ("gateway.networking.k8s.io", "GatewayClass"),
    ];

    private const string AllowedText = "[core/v1/Service networking.istio.io/v1/ServiceEntry gateway.networking.k8s.io/v1/Gateway gateway.networking.k8s.io/v1/GatewayClass]";

    /// <summary>Selector labels: no empty key, no wildcard in keys or values, and a warning when there are none.</summary>
    public static void Labels(JsonObject? labels, IstioFindings findings, bool present)
    {
        if (!present)
        {
            return;
        }

        foreach (var (key, value) in labels ?? [])
        {
            var text = value?.ToString() ?? "";
            var pair = GoQuote($"{key}={text}");
            if (key.Length == 0)
            {
                findings.Error($"empty key is not supported in selector: {pair}");
            }

            if (key.Contains('*', StringComparison.Ordinal) || text.Contains('*', StringComparison.Ordinal))
            {
                findings.Error($"wildcard is not supported in selector: {pair}");
            }
        }
    }

    public static void OneOf(JsonObject spec, string selectorField, IstioFindings findings)
    {
        var set = (spec[selectorField] is JsonObject ? 1 : 0) + (spec["targetRef"] is JsonObject ? 1 : 0) + (spec["targetRefs"] is JsonArray { Count: > 0 } ? 1 : 0);
        if (set > 1)
        {
            findings.Error("only one of targetRefs or workloadSelector can be set");
        }
    }

    public static void TargetRef(JsonObject? targetRef, IstioFindings findings)
    {
        if (targetRef is null)
        {
            return;
        }

        if (string.IsNullOrEmpty(Text(targetRef["name"])))
        {
            findings.Error("targetRef name must be set");
        }

        if (!string.IsNullOrEmpty(Text(targetRef["namespace"])))
        {
            findings.Error("targetRef namespace must not be set; cross namespace referencing is not supported");
        }

        var group = Text(targetRef["group"]);
        var kind = Text(targetRef["kind"]);
        var canonical = group.Length == 0 ? "core" : group;
        if (!AllowedTargets.Contains((canonical, kind)))
        {
            findings.Error($"targetRef must be to one of {AllowedText} but was {group}/{kind}");
        }
    }

    public static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    /// <summary>Go's %q for the strings these messages quote (printable ASCII and escapes for quotes and backslashes).</summary>
    public static string GoQuote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
