using System.Text.Json.Serialization;

namespace Wasme.Kubernetes.Clients;

[JsonSerializable(typeof(object))]
internal sealed partial class KubernetesResourceJsonContext : JsonSerializerContext;
