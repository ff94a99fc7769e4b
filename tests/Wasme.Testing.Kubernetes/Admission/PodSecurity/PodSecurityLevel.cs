namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>The Pod Security Standards, from least to most strict (the order matters: levels are compared).</summary>
internal enum PodSecurityLevel
{
    Privileged,
    Baseline,
    Restricted,
}
