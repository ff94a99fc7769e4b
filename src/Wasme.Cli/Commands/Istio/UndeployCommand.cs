using System.CommandLine;
using k8s.Autorest;
using k8s.Models;
using Spectre.Console;
using Wasme.Istio.Api;
using Wasme.Istio.Translation;
using Wasme.Kubernetes.Configuration;

namespace Wasme.Cli.Commands.Istio;

/// <summary><c>wasme undeploy</c>: takes back what <c>wasme deploy</c> added.</summary>
internal sealed class UndeployCommand : Command
{
    public UndeployCommand(CliContext context)
        : base("undeploy", "Remove a deployed filter from proxies.")
    {
        Subcommands.Add(new UndeployIstioCommand(context));
    }
}

/// <summary>
/// <c>wasme undeploy istio --id ID</c>: for each selected workload, deletes the EnvoyFilter/WasmPlugin
/// <c>&lt;workload&gt;-&lt;id&gt;</c> that wasme made and restores the pod-template annotations exactly.
/// </summary>
internal sealed class UndeployIstioCommand : Command
{
    private readonly WorkloadSelectionOptions _selection = new();
    private readonly Option<string> _wait = new("--wait") { Description = "How long to wait for the operator to take the filter back (0: do not wait).", DefaultValueFactory = _ => "2m" };

    public UndeployIstioCommand(CliContext context)
        : base("istio", "Remove a filter deployed with `wasme deploy istio` and restore the workloads' annotations.")
    {
        _selection.AddTo(this);
        Options.Add(_wait);
        SetAction((parse, ct) => RunAsync(context, parse, ct));
    }

    private async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var id = parse.GetValue(_selection.Id)!;
        var ns = parse.GetValue(_selection.Namespace)!;
        var dryRun = parse.GetValue(_selection.DryRun);
        var (labels, badLabel) = WorkloadSelectionOptions.ParseLabels(parse.GetValue(_selection.Labels));
        if (badLabel is not null)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] --labels '{badLabel}' is not k=v; write e.g. --labels app=details");
            return ExitCodes.UsageError;
        }

        if (!Durations.TryParse(parse.GetValue(_wait)!, out var wait))
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] --wait '{parse.GetValue(_wait)}' is not a duration; use a number with s, m or h, e.g. 2m (0 to not wait)");
            return ExitCodes.UsageError;
        }

        var istio = new IstioDeploymentSpec { Kind = WorkloadSelectionOptions.Kind(parse.GetValue(_selection.WorkloadType)!), Labels = labels };
        var selector = new FilterDeployment { Metadata = new V1ObjectMeta { Name = id, NamespaceProperty = ns } };
        try
        {
            using var client = IstioCluster.Connect(context, parse.GetValue(_selection.Kubeconfig));
            var cluster = new IstioCluster(client);

            // What 'deploy istio' writes: a FilterDeployment of its own. Deleting it lets the operator's finalizer
            // remove exactly the objects and annotations it made, and the cache drop the module.
            var imperative = new ImperativeFilterDeployment(client, context.TimeProvider);
            if (await imperative.DeleteAsync(ns, id, dryRun, cancellationToken) is { } deleted)
            {
                context.Out.MarkupLineInterpolated($"FilterDeployment {ns}/{id} {deleted}");
                if (!dryRun && wait > TimeSpan.Zero && !await imperative.WaitUntilGoneAsync(ns, id, wait, cancellationToken))
                {
                    context.Error.MarkupLineInterpolated($"[red]error:[/] FilterDeployment {ns}/{id} is still there after {wait}: the wasme operator has not finished removing what it made");
                    context.Error.MarkupLineInterpolated($"  fix: check the operator (kubectl get pods -n wasme) and kubectl describe filterdeployment {id} -n {ns}");
                    return ExitCodes.Failure;
                }

                return ExitCodes.Success;
            }

            // Objects an older wasme CLI wrote directly (no FilterDeployment): take them back one by one.
            var workloads = await cluster.ListWorkloadsAsync(ns, istio.Kind.Value, cancellationToken);
            var selected = FilterDeploymentTranslator.Select(selector, istio, workloads.Select(w => w.Workload));
            var changed = 0;
            foreach (var workload in selected)
            {
                var name = FilterDeploymentTranslator.ResourceName(workload.Name, id);
                foreach (var (apiVersion, kind) in new[] { (FilterDeploymentTranslator.EnvoyFilterApiVersion, "EnvoyFilter"), (FilterDeploymentTranslator.WasmPluginApiVersion, "WasmPlugin") })
                {
                    if (await cluster.DeleteIfOursAsync(apiVersion, kind, ns, name, id, dryRun, cancellationToken) is { } outcome)
                    {
                        context.Out.MarkupLineInterpolated($"{kind} {ns}/{name} {outcome}");
                        changed++;
                    }
                }

                var changes = FilterDeploymentTranslator.Undo(workload, id);
                if (!changes.IsEmpty)
                {
                    if (!dryRun)
                    {
                        await cluster.PatchPodTemplateAnnotationsAsync(workload, changes, cancellationToken);
                    }

                    context.Out.MarkupLineInterpolated($"{workload.Kind} {ns}/{workload.Name} annotations {(dryRun ? "would be restored" : "restored")}");
                    changed++;
                }
            }

            if (changed == 0)
            {
                context.Error.MarkupLineInterpolated($"[yellow]note:[/] nothing of filter '{id}' found on the selected workloads in {ns}");
            }

            return ExitCodes.Success;
        }
        catch (ClusterConfigException e)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return ExitCodes.UsageError;
        }
        catch (HttpOperationException e)
        {
            return ClusterErrors.Report(context, e);
        }
        catch (HttpRequestException e)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] cannot reach the Kubernetes API: {e.Message}");
            return ExitCodes.NetworkFailure;
        }
        catch (InvalidOperationException e)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
