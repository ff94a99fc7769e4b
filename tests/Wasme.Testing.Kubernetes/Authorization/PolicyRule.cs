using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>One rule of a Role or ClusterRole, matched as Kubernetes' rbac/v1 evaluation helpers match it.</summary>
public sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    private const string All = "*";

    public static PolicyRule Parse(JsonNode? rule) => new(
        Strings(rule?["verbs"]), Strings(rule?["apiGroups"]), Strings(rule?["resources"]),
        Strings(rule?["resourceNames"]), Strings(rule?["nonResourceURLs"]));

    public static IReadOnlyList<PolicyRule> ParseAll(JsonObject role) =>
        role["rules"] is JsonArray rules ? rules.Select(Parse).ToList() : [];

    public bool Allows(RequestAttributes request) => request.IsResourceRequest
        ? VerbMatches(request.Verb) && ApiGroupMatches(request.ApiGroup) && ResourceMatches(request) && ResourceNameMatches(request.Name)
        : VerbMatches(request.Verb) && NonResourceUrlMatches(request.Path);

    private bool VerbMatches(string verb) => Verbs.Any(v => v == All || v == verb);

    private bool ApiGroupMatches(string group) => ApiGroups.Any(g => g == All || g == group);

    // "*" is every resource and subresource; "*/scale" is the scale subresource of any resource; "pods" is not "pods/log".
    private bool ResourceMatches(RequestAttributes request) => Resources.Any(r =>
        r == All
        || r == request.CombinedResource
        || (request.Subresource.Length > 0 && r == $"*/{request.Subresource}"));

    // A rule with resourceNames never matches a request without a name: create, and list or watch without a
    // metadata.name field selector, cannot be restricted by name.
    private bool ResourceNameMatches(string name) => ResourceNames.Count == 0 || ResourceNames.Contains(name);

    private bool NonResourceUrlMatches(string path) => NonResourceUrls.Any(u =>
        u == All || u == path || (u.EndsWith('*') && path.StartsWith(u[..^1], StringComparison.Ordinal)));

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n.AsText() ?? "").ToList() : [];
}
