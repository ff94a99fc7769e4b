using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Storage;

/// <summary>One change, as a watch sees it. <see cref="Previous"/> lets selector watches turn a change into ADDED/DELETED.</summary>
internal sealed record StoredEvent(long Revision, string Type, ObjectKey Key, JsonObject Object, JsonObject? Previous);
