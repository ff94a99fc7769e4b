using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Api;
using Wasme.Istio.Rendering;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Istio.Versions;
using Wasme.Istio.Workloads;
using Wasme.Istio.Yaml;

namespace Wasme.Cli.Commands.Istio;

/// <summary>
/// <c>wasme render -f FILTERDEPLOYMENT.yaml</c>: prints the EnvoyFilters/WasmPlugins (and changed workloads) that the
/// operator would apply, as multi-document YAML in a stable order, for GitOps pipelines.
/// </summary>
internal sealed class RenderCommand : WasmeCommand
{
    private readonly Option<FileInfo> _file = new("--file", "-f") { Description = "FilterDeployment manifest (YAML; several documents allowed).", Required = true };
    private readonly Option<FileInfo?> _workloads = new("--workloads") { Description = "Deployments/DaemonSets/StatefulSets to select from (YAML, e.g. from kubectl get -o yaml). Without it, one workload whose pod labels equal spec.deployment.istio.labels is assumed (refused for empty labels and HostPath delivery, where that guess would be wrong)." };
    private readonly Option<string?> _istioVersion = new("--istio-version") { Description = $"Istio release of the target cluster, e.g. 1.7 (default {IstioVersion.Latest})." };
    private readonly Option<bool> _ignoreVersionCheck = new("--ignore-version-check") { Description = "Render even when the image's ABI is not known to run on that Istio release." };
    private readonly Option<string> _cacheService = new("--cache-service") { Description = "host:port of the wasme cache Service (Remote delivery).", DefaultValueFactory = _ => "wasme-cache.wasme.svc.cluster.local:9979" };
    private readonly ImageFactsOptions _facts = new();
    private readonly EnumOption<OutputFormat> _output;

    public RenderCommand(CliContext context)
        : base(context, "render", "Print the Istio resources a FilterDeployment produces, as YAML, without touching a cluster.")
    {
        Options.Add(_file);
        Options.Add(_workloads);
        Options.Add(_istioVersion);
        Options.Add(_ignoreVersionCheck);
        Options.Add(_cacheService);
        _facts.AddTo(this);
        _output = AddOutputOption();
        _output.Description = "Output format: text and yaml print YAML documents, json one v1 List (kubectl apply -f reads both).";
        Example("Render a FilterDeployment for the workloads of a cluster, from a file kubectl wrote", "kubectl get deploy -n bookinfo -o yaml > workloads.yaml && wasme render -f fd.yaml --workloads workloads.yaml");
        Example("Render offline, from image facts instead of the registry, for Istio 1.7", "wasme render -f fd.yaml --istio-version 1.7 --module-sha256 HEX --manifest-digest sha256:HEX");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var context = Context;
        var file = parse.GetValue(_file)!;
        if (!file.Exists && !Directory.Exists(file.FullName))
        {
            throw new CommandException(ExitCodes.NotFound, $"{file.FullName} does not exist; pass the FilterDeployment manifest with -f");
        }

        var options = TranslationOptionsFrom(parse);

        var documents = FilterDeploymentReader.ReadAll(await FlagFile.ReadTextAsync("-f", file, cancellationToken));
        var invalid = documents.Where(d => d.Problems.Count > 0).ToList();
        if (invalid.Count > 0)
        {
            foreach (var document in invalid)
            {
                ProblemReport.Write(context.Error, $"{file.Name}{(document.Deployment?.Metadata?.Name is { } n ? $" ({n})" : string.Empty)}", document.Problems);
            }

            return ExitCodes.UsageError;
        }

        IReadOnlyList<WorkloadDocument>? workloads = null;
        if (parse.GetValue(_workloads) is { } workloadsFile)
        {
            try
            {
                workloads = WorkloadReader.ReadAll(await FlagFile.ReadTextAsync("--workloads", workloadsFile, cancellationToken));
            }
            catch (YamlFormatException e)
            {
                throw CommandException.Usage($"--workloads {workloadsFile.Name}: {e.Message}");
            }
        }

        // One batch for the whole file: a later FilterDeployment sees the pod-template annotations earlier ones set,
        // and each workload is printed once.
        var batch = new RenderBatch(workloads ?? []);
        foreach (var deployment in documents.Select(d => d.Deployment!))
        {
            if (workloads is null)
            {
                RequireWorkloadsWhereAssumingIsUnsafe(deployment, file.Name);
            }

            var image = deployment.Spec.Filter!.Image!;
            var (source, error) = await _facts.ResolveAsync(parse, image, context, cancellationToken);
            if (source is null)
            {
                throw CommandException.Usage(error!);
            }

            var facts = await source.GetAsync(image, cancellationToken);
            var result = batch.Add(deployment, facts, options, workloads is null ? [AssumedWorkload(deployment, context)] : null);
            ProblemReport.Warnings(context.Error, result.Warnings);
            if (!result.Succeeded)
            {
                ProblemReport.Write(context.Error, $"{file.Name} ({deployment.Metadata.Name})", result.Problems);
                return ExitCodes.UsageError;
            }
        }

        var output = batch.Render();
        ProblemReport.Raw(context.Out, _output.ValueOf(parse) == OutputFormat.Json
            ? YamlJson.ToIndentedJson(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray([.. output]) }) + "\n"
            : YamlJson.Write(output));
        return ExitCodes.Success;
    }

    // The assumed workload below stands in only for a labelled workload whose filter leaves its pod template alone.
    // Empty labels would become an empty workloadSelector, which Istio applies to every pod of the namespace (other
    // kinds and gateways too); HostPath must print the workload itself with new annotations, which needs the real one.
    private static void RequireWorkloadsWhereAssumingIsUnsafe(FilterDeployment deployment, string fileName)
    {
        var istio = deployment.Spec.Deployment!.Istio!;
        var kind = istio.Kind ?? WorkloadKind.Deployment;
        var ns = FilterDeploymentValidator.EffectiveNamespace(deployment);
        var fix = $"pass the workloads with --workloads, e.g. kubectl get {kind.ToString().ToLowerInvariant()}s -n {ns} -o yaml > workloads.yaml";
        if (istio.Labels is not { Count: > 0 })
        {
            throw CommandException.Usage($"{fileName} ({deployment.Metadata.Name}): spec.deployment.istio.labels is empty, so it selects every {kind} in namespace {ns}; without their pod labels the output would select every pod in the namespace. {Capitalize(fix)}");
        }

        if (istio.Delivery == DeliveryMode.HostPath)
        {
            throw CommandException.Usage($"{fileName} ({deployment.Metadata.Name}): HostPath delivery adds volume annotations to each selected workload's pod template, so render must print those workloads. {Capitalize(fix)}");
        }
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    // Offline render without a cluster: most charts label the workload and its pods alike (app: details), so the
    // selector labels stand in for the pod labels. HostPath annotations need the real workload (--workloads).
    private static WorkloadDocument AssumedWorkload(FilterDeployment deployment, CliContext context)
    {
        var labels = new SortedDictionary<string, string>(deployment.Spec.Deployment!.Istio!.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        context.Error.MarkupLineInterpolated($"[yellow]note:[/] no --workloads given; assuming pods labelled {string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}");
        var workload = new Workload(
            deployment.Spec.Deployment.Istio.Kind ?? WorkloadKind.Deployment,
            deployment.Metadata.Name!,
            FilterDeploymentValidator.EffectiveNamespace(deployment),
            labels,
            labels,
            new SortedDictionary<string, string>(StringComparer.Ordinal));
        return new WorkloadDocument(workload, new JsonObject());
    }

    private TranslationOptions TranslationOptionsFrom(ParseResult parse)
    {
        var options = new TranslationOptions { IgnoreVersionCheck = parse.GetValue(_ignoreVersionCheck) };
        if (parse.GetValue(_istioVersion) is { } text)
        {
            if (!IstioVersion.TryParse(text, out var version))
            {
                throw CommandException.Usage($"--istio-version '{text}' is not a version; write it as 1.7 or 1.20.3");
            }

            options = options with { IstioVersion = version };
        }

        var cache = parse.GetValue(_cacheService)!;
        var colon = cache.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(cache[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            throw CommandException.Usage($"--cache-service '{cache}' must be host:port, e.g. wasme-cache.wasme.svc.cluster.local:9979");
        }

        return options with { CacheServiceHost = cache[..colon], CacheServicePort = port };
    }
}
