using System.Text.Json.Serialization;

namespace Wasme.Operator.Kubernetes;

[JsonSerializable(typeof(object))]
internal sealed partial class KubernetesResourceJsonContext : JsonSerializerContext;
