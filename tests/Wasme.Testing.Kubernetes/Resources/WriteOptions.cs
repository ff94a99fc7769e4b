namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>Query options common to writes: <c>dryRun=All</c>, <c>fieldManager</c>, <c>fieldValidation</c>.</summary>
public sealed record WriteOptions
{
    /// <summary>A fresh instance each time: <see cref="Warnings"/> collects what one write warns about.</summary>
    public static WriteOptions Default => new();

    public bool DryRun { get; init; }

    public string? FieldManager { get; init; }

    /// <summary>Names the field manager when <see cref="FieldManager"/> is not given, as kube-apiserver does.</summary>
    public string? UserAgent { get; init; }

    /// <summary>Ignore, Warn (the server default) or Strict: what to do with fields the schema does not know.</summary>
    public string FieldValidation { get; init; } = "Warn";

    /// <summary>Filled with the <c>Warning</c> headers the response should carry.</summary>
    public List<string> Warnings { get; } = [];
}

/// <summary>Body and query of a DELETE.</summary>
public sealed record DeleteOptions
{
    public static DeleteOptions Default { get; } = new();

    /// <summary>Background (default), Foreground or Orphan.</summary>
    public string? PropagationPolicy { get; init; }

    public string? PreconditionUid { get; init; }

    public string? PreconditionResourceVersion { get; init; }

    public bool DryRun { get; init; }
}
