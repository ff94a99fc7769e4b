namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>One check's verdict: a short reason ("hostPath volumes") and the detail naming what broke it ("volume \"cache\"").</summary>
internal sealed record CheckResult(string Reason, string Detail)
{
    public static CheckResult? Allowed => null;
}

/// <summary>Every failed check of one evaluation, in check order, worded as the library's AggregateCheckResult.</summary>
internal sealed record AggregateCheckResult(IReadOnlyList<CheckResult> Failures)
{
    public bool Allowed => Failures.Count == 0;

    /// <summary>"host ports, privileged": used where many pods are summarised (namespace label changes).</summary>
    public string ForbiddenReason => string.Join(", ", Failures.Select(f => f.Reason));

    /// <summary>"hostPath volumes (volume \"cache\"), privileged (container \"x\" must not ...)": used for one object.</summary>
    public string ForbiddenDetail => string.Join(", ", Failures.Select(f => f.Detail.Length > 0 ? $"{f.Reason} ({f.Detail})" : f.Reason));
}
