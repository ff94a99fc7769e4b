namespace Wasme.Testing.Kubernetes.Admission.Istio;

/// <summary>
/// What istiod's validation found, kept as its Validation keeps them: errors and warnings in order. One error reads as
/// itself; several read as hashicorp/go-multierror lists them, since istiod joins them with multierror.Append.
/// </summary>
internal sealed class IstioFindings
{
    public List<string> Errors { get; } = [];

    public List<string> Warnings { get; } = [];

    public void Error(string message) => Errors.Add(message);

    public void Warning(string message) => Warnings.Add(message);

    public string ErrorText() => Errors.Count == 1
        ? Errors[0]
        : $"{Errors.Count} errors occurred:\n\t{string.Join("\n\t", Errors.Select(e => "* " + e))}\n\n";
}
