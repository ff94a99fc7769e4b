using Wasme.Testing.Kubernetes.Schema;
using Wasme.Testing.Kubernetes.Schema.Cel;

namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>One served resource of one group version, as discovery describes it.</summary>
public sealed record ResourceType
{
    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public required string Group { get; init; }

    public required string Version { get; init; }

    /// <summary>The plural, lower-case name used in URLs (<c>deployments</c>).</summary>
    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required string Kind { get; init; }

    public required bool Namespaced { get; init; }

    public string ListKind => Kind + "List";

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>Whether <c>/status</c> is a subresource: then writes to the main resource ignore status and vice versa.</summary>
    public bool HasStatusSubresource { get; init; }

    /// <summary>Custom resources reject strategic merge patches and need a resourceVersion on update.</summary>
    public bool IsCustom { get; init; }

    /// <summary>Whether a change outside metadata and status bumps metadata.generation.</summary>
    public bool TracksGeneration { get; init; } = true;

    /// <summary>Subresources served by their own handlers besides <c>status</c> (e.g. <c>serviceaccounts/token</c>), for discovery.</summary>
    public IReadOnlyList<Subresource> Subresources { get; init; } = [];

    public StructuralSchema? Schema { get; init; }

    /// <summary>The schema's x-kubernetes-validations (CEL) rules, when it has any.</summary>
    internal CelValidator? Rules { get; init; }

    public IReadOnlyList<PrinterColumn> PrinterColumns { get; init; } = [];

    /// <summary>A custom resource version's selectableFields, as field labels (<c>spec.color</c>).</summary>
    public IReadOnlyList<string> SelectableFields { get; init; } = [];

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string GroupVersion => ApiVersion;

    /// <summary>How errors name the resource: <c>deployments.apps</c> or <c>configmaps</c>.</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>How validation errors name the kind: <c>Deployment.apps</c> or <c>ConfigMap</c>.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";
}

/// <summary>A subresource as discovery lists it; its kind may live in another group (TokenRequest in authentication.k8s.io).</summary>
public sealed record Subresource(string Name, string Kind, IReadOnlyList<string> Verbs, string Group = "", string Version = "");

/// <summary>An additional printer column of a CustomResourceDefinition version.</summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, string? Format, string Description, int Priority);
