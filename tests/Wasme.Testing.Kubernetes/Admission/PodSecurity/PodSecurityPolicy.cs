using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;

namespace Wasme.Testing.Kubernetes.Admission.PodSecurity;

/// <summary>
/// A namespace's enforce, audit and warn levels, read from its <c>pod-security.kubernetes.io/*</c> labels the way
/// the pod-security-admission library does (api.PolicyToEvaluate): no label means privileged, a bad value is an error
/// (and fails closed for enforce, open for audit and warn), and warn follows a stricter explicit enforce level.
/// </summary>
internal sealed partial record PodSecurityPolicy(LevelVersion Enforce, LevelVersion Audit, LevelVersion Warn)
{
    public const string LabelPrefix = "pod-security.kubernetes.io/";
    public const string EnforceLabel = LabelPrefix + "enforce";
    public const string EnforceVersionLabel = LabelPrefix + "enforce-version";
    public const string AuditLabel = LabelPrefix + "audit";
    public const string AuditVersionLabel = LabelPrefix + "audit-version";
    public const string WarnLabel = LabelPrefix + "warn";
    public const string WarnVersionLabel = LabelPrefix + "warn-version";

    /// <summary>The defaults of an API server started without an admission configuration file.</summary>
    public static PodSecurityPolicy Default { get; } = new(LevelVersion.PrivilegedLatest, LevelVersion.PrivilegedLatest, LevelVersion.PrivilegedLatest);

    public bool FullyPrivileged =>
        Enforce.Level == PodSecurityLevel.Privileged && Audit.Level == PodSecurityLevel.Privileged && Warn.Level == PodSecurityLevel.Privileged;

    public static (PodSecurityPolicy Policy, List<FieldError> Errors) FromLabels(IReadOnlyDictionary<string, string> labels)
    {
        var errors = new List<FieldError>();
        var (enforce, audit, warn) = (Default.Enforce, Default.Audit, Default.Warn);
        var hasEnforceLevel = false;
        if (labels.TryGetValue(EnforceLabel, out var value))
        {
            var level = ParseLevel(value, EnforceLabel, errors);
            hasEnforceLevel = level is not null;
            enforce = enforce with { Level = level ?? PodSecurityLevel.Restricted };
        }

        if (labels.TryGetValue(EnforceVersionLabel, out value))
        {
            enforce = enforce with { Version = ParseVersion(value, EnforceVersionLabel, errors) };
        }

        if (labels.TryGetValue(AuditLabel, out value))
        {
            audit = audit with { Level = ParseLevel(value, AuditLabel, errors) ?? PodSecurityLevel.Privileged };
        }

        if (labels.TryGetValue(AuditVersionLabel, out value))
        {
            audit = audit with { Version = ParseVersion(value, AuditVersionLabel, errors) };
        }

        var hasWarnLevel = labels.TryGetValue(WarnLabel, out value);
        if (hasWarnLevel)
        {
            warn = warn with { Level = ParseLevel(value!, WarnLabel, errors) ?? PodSecurityLevel.Privileged };
        }

        var hasWarnVersion = labels.TryGetValue(WarnVersionLabel, out value);
        if (hasWarnVersion)
        {
            warn = warn with { Version = ParseVersion(value!, WarnVersionLabel, errors) };
        }

        // An explicit enforce level stricter than warn also warns, so workloads hear about pods that will be refused.
        if (!hasWarnLevel && hasEnforceLevel && enforce.Level > warn.Level)
        {
            warn = hasWarnVersion ? warn with { Level = enforce.Level } : enforce;
        }

        return (new PodSecurityPolicy(enforce, audit, warn), errors);
    }

    /// <summary>Null for a bad value: enforce then fails closed (restricted), audit and warn fail open (privileged).</summary>
    private static PodSecurityLevel? ParseLevel(string value, string label, List<FieldError> errors)
    {
        switch (value)
        {
            case "privileged":
                return PodSecurityLevel.Privileged;
            case "baseline":
                return PodSecurityLevel.Baseline;
            case "restricted":
                return PodSecurityLevel.Restricted;
            default:
                errors.Add(FieldError.Invalid($"metadata.labels[{label}]", JsonValue.Create(value), "must be one of privileged, baseline, restricted"));
                return null;
        }
    }

    private static string ParseVersion(string value, string label, List<FieldError> errors)
    {
        if (value == LevelVersion.Latest || VersionPattern().IsMatch(value))
        {
            return value;
        }

        errors.Add(FieldError.Invalid($"metadata.labels[{label}]", JsonValue.Create(value), "must be \"latest\" or \"v1.x\""));
        return LevelVersion.Latest;
    }

    [GeneratedRegex(@"^v1\.(0|[1-9][0-9]*)$")]
    private static partial Regex VersionPattern();
}
