using System.Text.Json.Serialization;

namespace Wasme.Cli.Commands.Istio;

/// <summary>A Kubernetes object a command wrote or would write, and what happened to it (docs/cli.md).</summary>
internal sealed record ObjectChange(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("outcome")] string? Outcome);

/// <summary><c>wasme deploy istio -o json</c>: the FilterDeployment written and, when waited for, what the operator applied.</summary>
internal sealed record DeployResult(
    [property: JsonPropertyName("filterDeployment")] ObjectChange FilterDeployment,
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("resources")] IReadOnlyList<ObjectChange> Resources);

/// <summary><c>wasme undeploy istio -o json</c>: every object deleted or restored (or that would be, with --dry-run).</summary>
internal sealed record UndeployResult(
    [property: JsonPropertyName("changes")] IReadOnlyList<ObjectChange> Changes);

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeployResult))]
[JsonSerializable(typeof(UndeployResult))]
internal sealed partial class IstioResultsJsonContext : JsonSerializerContext;
