using System.Text.Json.Serialization;
using Wasme.Istio.Translation;

namespace Wasme.Istio.Api;

/// <summary>Source-generated JSON for our own types (the CLI is published native AOT).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(FilterDeployment))]
[JsonSerializable(typeof(FilterDeploymentList))]
[JsonSerializable(typeof(ImageFacts))]
public sealed partial class IstioJsonContext : JsonSerializerContext;
