namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>The built-in kinds the project touches, described as kube-apiserver 1.32 does in discovery.</summary>
internal static class BuiltInResources
{
    public static IReadOnlyList<ResourceType> All { get; } =
    [
        Core("namespaces", "namespace", "Namespace", namespaced: false, status: true, shortNames: ["ns"], generation: false),
        Core("configmaps", "configmap", "ConfigMap", shortNames: ["cm"], generation: false),
        Core("secrets", "secret", "Secret", generation: false),
        Core("serviceaccounts", "serviceaccount", "ServiceAccount", shortNames: ["sa"], generation: false)
            with { Subresources = [new Subresource("token", "TokenRequest", ["create"], "authentication.k8s.io", "v1")] },
        Core("services", "service", "Service", status: true, shortNames: ["svc"], categories: ["all"], generation: false),
        Core("events", "event", "Event", shortNames: ["ev"], generation: false),
        Core("pods", "pod", "Pod", status: true, shortNames: ["po"], categories: ["all"], generation: false),
        Core("nodes", "node", "Node", namespaced: false, status: true, shortNames: ["no"], generation: false),
        Core("endpoints", "endpoints", "Endpoints", shortNames: ["ep"], generation: false),
        Core("replicationcontrollers", "replicationcontroller", "ReplicationController", status: true, shortNames: ["rc"], categories: ["all"]),
        Core("podtemplates", "podtemplate", "PodTemplate", generation: false),
        Apps("deployments", "deployment", "Deployment", ["deploy"]),
        Apps("daemonsets", "daemonset", "DaemonSet", ["ds"]),
        Apps("statefulsets", "statefulset", "StatefulSet", ["sts"]),
        Apps("replicasets", "replicaset", "ReplicaSet", ["rs"]),
        Of("batch", "v1", "jobs", "job", "Job", namespaced: true) with { HasStatusSubresource = true, TracksGeneration = true, Categories = ["all"] },
        Of("batch", "v1", "cronjobs", "cronjob", "CronJob", namespaced: true)
            with { HasStatusSubresource = true, TracksGeneration = true, ShortNames = ["cj"], Categories = ["all"] },
        Of("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", namespaced: true)
            with { HasStatusSubresource = true, TracksGeneration = true, ShortNames = ["pdb"] },
        Of("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", namespaced: true)
            with { TracksGeneration = true, ShortNames = ["netpol"] },
        Of("coordination.k8s.io", "v1", "leases", "lease", "Lease", namespaced: true),
        Of("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", namespaced: true),
        Of("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", namespaced: true),
        Of("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", namespaced: false),
        Of("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", namespaced: false),
        Of("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", namespaced: false) with { Verbs = ["create"] },
        Of("events.k8s.io", "v1", "events", "event", "Event", namespaced: true) with { ShortNames = ["ev"] },
        Of("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", namespaced: false)
            with { ShortNames = ["crd", "crds"], Categories = ["api-extensions"], HasStatusSubresource = true, TracksGeneration = true },
    ];

    private static ResourceType Core(
        string plural, string singular, string kind, bool namespaced = true, bool status = false,
        string[]? shortNames = null, string[]? categories = null, bool generation = true) => new()
        {
            Group = "",
            Version = "v1",
            Plural = plural,
            Singular = singular,
            Kind = kind,
            Namespaced = namespaced,
            HasStatusSubresource = status,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
            TracksGeneration = generation,
        };

    private static ResourceType Apps(string plural, string singular, string kind, string[] shortNames) =>
        Of("apps", "v1", plural, singular, kind, namespaced: true) with
        {
            HasStatusSubresource = true,
            TracksGeneration = true,
            ShortNames = shortNames,
            Categories = ["all"],
        };

    private static ResourceType Of(string group, string version, string plural, string singular, string kind, bool namespaced) => new()
    {
        Group = group,
        Version = version,
        Plural = plural,
        Singular = singular,
        Kind = kind,
        Namespaced = namespaced,
        TracksGeneration = false,
    };
}
