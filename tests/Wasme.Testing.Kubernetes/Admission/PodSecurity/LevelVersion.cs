namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>
/// A level at a policy version, printed as kube-apiserver prints it (<c>baseline:latest</c>, <c>restricted:v1.30</c>).
/// The version is kept for messages only: every version is judged by the latest checks.
/// </summary>
internal readonly record struct LevelVersion(PodSecurityLevel Level, string Version)
{
    public const string Latest = "latest";

    public static LevelVersion PrivilegedLatest { get; } = new(PodSecurityLevel.Privileged, Latest);

    public override string ToString() => $"{Name(Level)}:{Version}";

    public static string Name(PodSecurityLevel level) => level switch
    {
        PodSecurityLevel.Privileged => "privileged",
        PodSecurityLevel.Baseline => "baseline",
        _ => "restricted",
    };
}
