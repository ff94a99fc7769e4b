using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Storage;

namespace Wasme.Testing.Kubernetes.Lifecycle;

/// <summary>
/// apiextensions-apiserver's CRD finalizer: for a deleted CRD that still carries
/// <c>customresourcecleanup.apiextensions.k8s.io</c>, it says so in the <c>Terminating</c> condition, deletes every
/// instance (each one's finalizers honoured, so held ones stay, marked), and once none is left records that and takes
/// its finalizer away, which lets the CRD (and what it serves) go.
/// </summary>
internal sealed class CrdFinalizer(ObjectStore store, ResourceService service)
{
    private const string Manager = "kube-apiserver";

    /// <summary>One pass for one CRD; true when it changed something.</summary>
    public bool Sync(ObjectKey key, JsonObject crd)
    {
        if (!crd.IsBeingDeleted() || !crd.Finalizers().Contains(CustomResourceDefinitions.CleanupFinalizer) || service.TypeOf(key) is not { } crdType)
        {
            return false;
        }

        var changed = service.WriteStatusAsController(crdType, crd, Manager, current => CustomResourceDefinitions.SetCondition(current,
            CustomResourceDefinitions.Terminating("True", "InstanceDeletionInProgress", "CustomResource deletion is in progress", service.Now())));
        if (service.Registry.All.FirstOrDefault(r => r.IsCustom && $"{r.Plural}.{r.Group}" == crd.Name()) is { } served)
        {
            foreach (var (instanceKey, instance) in store.List(served.Group, served.Plural, null).Items.Where(i => !i.Object.IsBeingDeleted()))
            {
                try
                {
                    service.Delete(served, instanceKey.Namespace, instanceKey.Name, DeleteOptions.Default);
                    changed = true;
                }
                catch (Http.ApiException)
                {
                    // Gone meanwhile; the next pass sees what is left.
                }
            }

            if (store.List(served.Group, served.Plural, null).Items.Count > 0)
            {
                // Instances held by finalizers: their controllers finish, each removal triggers another pass.
                return changed;
            }
        }

        service.WriteStatusAsController(crdType, crd, Manager, current => CustomResourceDefinitions.SetCondition(current,
            CustomResourceDefinitions.Terminating("False", "InstanceDeletionCompleted", "removed all instances", service.Now())));
        service.RemoveFinalizer(crdType, crd, CustomResourceDefinitions.CleanupFinalizer);
        return true;
    }
}
