using System.Text.Json.Nodes;
using Wasme.Kubernetes.Clients;
using Wasme.Kubernetes.Nodes;

namespace Wasme.Cache.Kubernetes;

/// <summary>
/// Writes this node's <see cref="CacheNodeRecord"/> (docs/cache.md, "Readiness per node"). A merge patch of
/// <c>spec.modules</c>, so no read first and no resourceVersion to hold; the record is created when the patch finds
/// none. The cache is the one writer of its node's record, so the last write is the truth and nothing needs merging.
/// Each write carries the Node's owner reference (<see cref="NodeOwner"/>), so a record an earlier cache wrote without one
/// is adopted, and the record goes with its Node. Needs only <c>patch</c> and <c>create</c> on <c>cachenoderecords</c>, and
/// <c>get</c> on nodes (deploy/cache/rbac.yaml).
/// </summary>
public sealed class NodeRecordWriter
{
    private readonly IResourceClient<CacheNodeRecord> _records;
    private readonly string _namespace;
    private readonly string _nodeName;
    private readonly NodeOwner? _owner;

    public NodeRecordWriter(IResourceClient<CacheNodeRecord> records, string namespaceName, string nodeName, NodeOwner? owner = null)
    {
        _owner = owner;
        _records = records;
        _namespace = namespaceName;
        _nodeName = nodeName;
    }

    /// <summary>Records that the node holds exactly <paramref name="heldSha256"/> (lowercase hex sha256).</summary>
    public async Task WriteAsync(IEnumerable<string> heldSha256, CancellationToken cancellationToken)
    {
        var record = CacheNodeRecord.For(_namespace, _nodeName, heldSha256);
        var patch = new JsonObject
        {
            ["spec"] = new JsonObject { ["modules"] = new JsonArray([.. record.Spec.Modules!.Select(m => (JsonNode)JsonValue.Create(m))]) },
        };
        if (_owner is not null && await _owner.GetAsync(cancellationToken) is { } owner)
        {
            record.Metadata.OwnerReferences = [owner];
            patch["metadata"] = new JsonObject
            {
                ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = owner.ApiVersion, ["kind"] = owner.Kind, ["name"] = owner.Name, ["uid"] = owner.Uid }),
            };
        }

        await WriteAsync(record, patch.ToJsonString(), cancellationToken);
    }

    private async Task WriteAsync(CacheNodeRecord record, string patch, CancellationToken cancellationToken)
    {
        try
        {
            await _records.MergePatchAsync(_namespace, _nodeName, patch, cancellationToken);
            return;
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            // The node's first record (or the namespace or the kind is missing: create says which).
        }

        try
        {
            await _records.CreateAsync(record, cancellationToken);
        }
        catch (Exception ex) when (KubernetesErrors.IsAlreadyExists(ex))
        {
            // A previous pod of this node's cache, still stopping, created it meanwhile: this pod's set is the current one.
            await _records.MergePatchAsync(_namespace, _nodeName, patch, cancellationToken);
        }
        catch (Exception ex) when (KubernetesErrors.IsNotFound(ex))
        {
            throw new InvalidOperationException(
                $"cannot write this node's record (CacheNodeRecord {_namespace}/{_nodeName}): {KubernetesErrors.Describe(ex)}. "
                + "Install the CacheNodeRecord CRD and the namespace with the release's deploy/ (kubectl apply -k deploy/).",
                ex);
        }
    }
}
