using System.CommandLine;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Api;

namespace Wasme.Cli.Commands.Istio;

/// <summary>Workload-selection options shared by <c>deploy istio</c> and <c>undeploy istio</c> (names and defaults as in the original).</summary>
internal sealed class WorkloadSelectionOptions
{
    public Option<string> Id { get; } = new("--id") { Description = "Unique id of the filter; names the generated objects <workload>-<id>.", Required = true };

    public Option<string> Namespace { get; } = new("--namespace", "-n") { Description = "Namespace of the workloads.", DefaultValueFactory = _ => "default" };

    public Option<string[]> Labels { get; } = new("--labels", "-l")
    {
        Description = "Select workloads whose own labels include k=v (repeatable or comma-separated); none selects all of the type.",
        AllowMultipleArgumentsPerToken = true,
    };

    // No -t: it is --tag everywhere (build), as in docker.
    public EnumOption<WorkloadKind> WorkloadType { get; } = new(
        "--workload-type",
        [],
        [("deployment", WorkloadKind.Deployment), ("daemonset", WorkloadKind.DaemonSet), ("statefulset", WorkloadKind.StatefulSet)],
        "Kind of the workloads to select.",
        WorkloadKind.Deployment);

    public Option<string?> Kubeconfig { get; } = new("--kubeconfig") { Description = "Kubeconfig file (default $KUBECONFIG, then ~/.kube/config)." };

    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Print what would change; write nothing." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Id, Namespace, Labels, WorkloadType, Kubeconfig, DryRun })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Parses k=v pairs; returns the offending text on error.</summary>
    public static (Dictionary<string, string> Labels, string? Error) ParseLabels(IEnumerable<string>? values)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return (labels, pair);
            }

            labels[pair[..equals]] = pair[(equals + 1)..];
        }

        return (labels, null);
    }
}
