using System.CommandLine;
using k8s.Models;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;

namespace Wasme.Cli.Commands.Istio;

/// <summary><c>wasme undeploy</c>: takes back what <c>wasme deploy</c> added.</summary>
internal sealed class UndeployCommand : WasmeCommandGroup
{
    public UndeployCommand(CliContext context)
        : base("undeploy", "Remove a deployed filter from proxies.")
    {
        Subcommands.Add(new UndeployIstioCommand(context));
        Example("Take back a filter deployed with 'wasme deploy istio'", "wasme undeploy istio --id add-header -n bookinfo");
    }
}

/// <summary>
/// <c>wasme undeploy istio --id ID</c>: for each selected workload, deletes the EnvoyFilter/WasmPlugin
/// <c>&lt;workload&gt;-&lt;id&gt;</c> that wasme made and restores the pod-template annotations exactly.
/// </summary>
internal sealed class UndeployIstioCommand : WasmeCommand
{
    private readonly WorkloadSelectionOptions _selection = new();
    private readonly Option<string> _wait = new("--wait") { Description = "How long to wait for the operator to take the filter back (0: do not wait).", DefaultValueFactory = _ => "2m" };
    private readonly EnumOption<OutputFormat> _output;

    public UndeployIstioCommand(CliContext context)
        : base(context, "istio", "Remove a filter deployed with `wasme deploy istio` and restore the workloads' annotations.")
    {
        _selection.AddTo(this);
        Options.Add(_wait);
        _output = AddOutputOption();
        Example("Remove a filter and wait until the operator has taken back what it made", "wasme undeploy istio --id add-header -n bookinfo");
        Example("Show what would be deleted or restored, as JSON", "wasme undeploy istio --id add-header -n bookinfo --dry-run -o json");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var context = Context;
        var id = parse.GetValue(_selection.Id)!;
        var ns = parse.GetValue(_selection.Namespace)!;
        var dryRun = parse.GetValue(_selection.DryRun);
        var format = _output.ValueOf(parse);
        var (labels, badLabel) = WorkloadSelectionOptions.ParseLabels(parse.GetValue(_selection.Labels));
        if (badLabel is not null)
        {
            throw CommandException.Usage($"--labels '{badLabel}' is not k=v; write e.g. --labels app=details");
        }

        if (!Durations.TryParse(parse.GetValue(_wait)!, out var wait))
        {
            throw CommandException.Usage($"--wait '{parse.GetValue(_wait)}' is not a duration; use a number with s, m or h, e.g. 2m (0 to not wait)");
        }

        var istio = new IstioDeploymentSpec { Kind = _selection.WorkloadType.ValueOf(parse), Labels = labels };
        var selector = new FilterDeployment { Metadata = new V1ObjectMeta { Name = id, NamespaceProperty = ns } };
        using var client = await IstioCluster.ConnectAsync(context, parse.GetValue(_selection.Kubeconfig), GlobalOptions.GetVerbosity(parse), cancellationToken);
        var cluster = new IstioCluster(client);
        var changes = new List<ObjectChange>();
        void Changed(ObjectChange change)
        {
            changes.Add(change);
            if (!format.IsData())
            {
                context.Out.MarkupLineInterpolated($"{change.Kind} {change.Namespace}/{change.Name} {change.Outcome}");
            }
        }

        // What 'deploy istio' writes: a FilterDeployment of its own. Deleting it lets the operator's finalizer
        // remove exactly the objects and annotations it made, and the cache drop the module.
        var imperative = new ImperativeFilterDeployment(client, context.TimeProvider);
        if (await imperative.DeleteAsync(ns, id, dryRun, cancellationToken) is { } deleted)
        {
            Changed(new ObjectChange("FilterDeployment", ns, id, deleted));
            if (!dryRun && wait > TimeSpan.Zero && !await imperative.WaitUntilGoneAsync(ns, id, wait, cancellationToken))
            {
                throw new CommandException(
                    ExitCodes.Failure,
                    $"FilterDeployment {ns}/{id} is still there after {wait}: the wasme operator has not finished removing what it made",
                    $"  fix: check the operator (kubectl get pods -n wasme) and kubectl describe filterdeployment {id} -n {ns}");
            }

            WriteData(format, changes);
            return ExitCodes.Success;
        }

        // The operator serves that id for a FilterDeployment from Git or kubectl: its objects and annotations are not ours to
        // take, and taking the cache volume from under its EnvoyFilters would break the filter on every new pod.
        if (await imperative.FindOtherHolderAsync(ns, id, cancellationToken) is { } holder)
        {
            throw new CommandException(
                ExitCodes.Failure,
                $"filter id '{id}' belongs to FilterDeployment {ns}/{holder}, not to 'wasme deploy istio'; nothing was changed",
                $"  fix: kubectl delete filterdeployment {holder} -n {ns} (or remove it from Git) to remove the filter");
        }

        // Objects an older wasme CLI wrote directly (no FilterDeployment): take them back one by one.
        var workloads = await cluster.ListWorkloadsAsync(ns, istio.Kind.Value, cancellationToken);
        var selected = FilterDeploymentTranslator.Select(selector, istio, workloads.Select(w => w.Workload));
        foreach (var workload in selected)
        {
            var name = FilterDeploymentTranslator.ResourceName(workload.Name, id);
            foreach (var (apiVersion, kind) in new[] { (FilterDeploymentTranslator.EnvoyFilterApiVersion, "EnvoyFilter"), (FilterDeploymentTranslator.WasmPluginApiVersion, "WasmPlugin") })
            {
                if (await cluster.DeleteIfOursAsync(apiVersion, kind, ns, name, id, dryRun, cancellationToken) is { } outcome)
                {
                    Changed(new ObjectChange(kind, ns, name, outcome));
                }
            }

            var undo = FilterDeploymentTranslator.Undo(workload, id);
            if (!undo.IsEmpty)
            {
                if (!dryRun)
                {
                    await cluster.PatchPodTemplateAnnotationsAsync(workload, undo, cancellationToken);
                }

                Changed(new ObjectChange(workload.Kind.ToString(), ns, workload.Name, dryRun ? "annotations would be restored" : "annotations restored"));
            }
        }

        if (changes.Count == 0)
        {
            // Listing workloads in a namespace that does not exist answers an empty list, not a 404: ask, so a typo in
            // -n is not reported as a filter that was already gone.
            if (await cluster.NamespaceExistsAsync(ns, cancellationToken) == false)
            {
                throw new CommandException(
                    ExitCodes.NotFound,
                    $"namespace \"{ns}\" does not exist; nothing was undeployed",
                    "  fix: check the name with kubectl get namespaces, then run the undeploy with that -n");
            }

            context.Error.MarkupLineInterpolated($"[yellow]note:[/] nothing of filter '{id}' found on the selected workloads in {ns}");
        }

        WriteData(format, changes);
        return ExitCodes.Success;
    }

    private void WriteData(OutputFormat format, IReadOnlyList<ObjectChange> changes)
    {
        if (format.IsData())
        {
            DataOutput.Write(Context, format, new UndeployResult(changes), IstioResultsJsonContext.Default.UndeployResult);
        }
    }
}
