namespace Wasme.Testing.Kubernetes.Storage;

/// <summary>Where an object lives: versions of one group share storage, as in etcd.</summary>
internal readonly record struct ObjectKey(string Group, string Resource, string Namespace, string Name)
{
    public bool InCollection(string group, string resource, string? ns) =>
        Group == group && Resource == resource && (string.IsNullOrEmpty(ns) || Namespace == ns);
}
