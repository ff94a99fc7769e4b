namespace Wasme.Istio.Validation;

/// <summary>One thing wrong with a FilterDeployment: where, what was there, why it is wrong, and how to fix it.</summary>
/// <param name="Path">JSON path of the field, e.g. <c>spec.filter.config</c>.</param>
/// <param name="Value">The offending value as text, or null when the field is missing.</param>
/// <param name="Reason">Why the value cannot be used.</param>
/// <param name="Fix">What to write instead.</param>
public sealed record ValidationProblem(string Path, string? Value, string Reason, string Fix)
{
    public override string ToString() =>
        Value is null ? $"{Path}: {Reason}; fix: {Fix}" : $"{Path}: {Reason} (got '{Value}'); fix: {Fix}";
}
