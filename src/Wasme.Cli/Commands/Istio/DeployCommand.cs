using System.CommandLine;
using System.Text.Json.Nodes;
using k8s.Models;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Istio.Api;
using Wasme.Istio.Rendering;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Istio.Versions;
using Wasme.Istio.Yaml;

namespace Wasme.Cli.Commands.Istio;

/// <summary><c>wasme deploy</c>: the imperative counterpart of a FilterDeployment.</summary>
internal sealed class DeployCommand : WasmeCommandGroup
{
    public DeployCommand(CliContext context)
        : base("deploy", "Deploy a filter image to proxies.")
    {
        Subcommands.Add(new DeployIstioCommand(context));
        Example("Add a filter to the details workloads and wait until every proxy can load it", "wasme deploy istio ghcr.io/acme/add-header:v1 --id add-header -n bookinfo -l app=details");
    }
}

/// <summary>
/// <c>wasme deploy istio IMAGE --id ID</c>: runs the same translation as the operator, for the workloads in the current
/// kubeconfig's cluster, and applies the result (or prints it with <c>--dry-run</c>).
/// </summary>
internal sealed class DeployIstioCommand : WasmeCommand
{
    private readonly Argument<string> _image = new("image") { Description = "Image reference, e.g. webassemblyhub.io/ceposta/demo-add-header:v0.2" };
    private readonly WorkloadSelectionOptions _selection = new();
    private readonly Option<string?> _config = new("--config") { Description = "Configuration string passed to the filter (a JSON object with --delivery wasmplugin)." };
    private readonly Option<string?> _rootId = new("--root-id") { Description = "Root id (default the image's first root id)." };
    private readonly EnumOption<PatchContext> _patchContext = new(
        "--patch-context",
        [],
        [("inbound", PatchContext.Inbound), ("outbound", PatchContext.Outbound), ("gateway", PatchContext.Gateway), ("any", PatchContext.Any)],
        "Where the filter runs (default inbound; gateway for Istio gateways).");

    private readonly EnumOption<DeliveryMode> _delivery = new(
        "--delivery",
        [],
        [("remote", DeliveryMode.Remote), ("hostpath", DeliveryMode.HostPath), ("wasmplugin", DeliveryMode.WasmPlugin)],
        "How the module reaches the proxies.",
        DeliveryMode.Remote);

    private readonly EnumOption<FailStrategy> _failStrategy = new(
        "--fail-strategy",
        [],
        [("failclose", FailStrategy.FailClose), ("failopen", FailStrategy.FailOpen), ("failreload", FailStrategy.FailReload)],
        "What a failing filter does to requests.",
        FailStrategy.FailClose);

    private readonly Option<string> _istioNamespace = new("--istio-namespace") { Description = "Namespace of istiod.", DefaultValueFactory = _ => "istio-system" };
    private readonly Option<string?> _istioRevision = new("--istio-revision") { Description = "istiod revision (default the namespace's istio.io/rev label)." };
    private readonly Option<string?> _istioVersion = new("--istio-version") { Description = "Istio release, instead of asking istiod." };
    private readonly Option<bool> _ignoreVersionCheck = new("--ignore-version-check") { Description = "Deploy even when the image's ABI is not known to run on that Istio release." };
    private readonly Option<string> _cacheService = new("--cache-service") { Description = "host:port of the wasme cache Service, for --dry-run output (deployed filters use the operator's --cache-service-url).", DefaultValueFactory = _ => "wasme-cache.wasme.svc.cluster.local:9979" };
    private readonly Option<string> _wait = new("--wait") { Description = "How long to wait for the operator to apply the filter and every node's cache to hold the module (0: do not wait).", DefaultValueFactory = _ => "2m" };
    private readonly Option<string> _cacheNamespace = new("--cache-namespace") { Description = "Namespace of the wasme cache DaemonSet, whose nodes report the modules they hold.", DefaultValueFactory = _ => "wasme" };
    private readonly ImageFactsOptions _facts = new();
    private readonly EnumOption<OutputFormat> _output;

    public DeployIstioCommand(CliContext context)
        : base(context, "istio", "Deploy a filter to Istio workloads (EnvoyFilter or WasmPlugin per workload).")
    {
        Arguments.Add(_image);
        _selection.AddTo(this);
        foreach (var option in new Option[] { _config, _rootId, _patchContext, _delivery, _failStrategy, _istioNamespace, _istioRevision, _istioVersion, _ignoreVersionCheck, _cacheService, _wait, _cacheNamespace })
        {
            Options.Add(option);
        }

        _output = AddOutputOption();
        _output.Description = "Output format. With --dry-run: the resources (text and yaml: YAML documents; json: a v1 List). Otherwise what was applied (docs/cli.md).";
        _facts.AddTo(this);
        Example("Add a filter to the details workloads of bookinfo and wait until it is served", "wasme deploy istio ghcr.io/acme/add-header:v1 --id add-header -n bookinfo -l app=details --config world");
        Example("Print the EnvoyFilters it would apply, without writing anything", "wasme deploy istio ghcr.io/acme/add-header:v1 --id add-header -n bookinfo -l app=details --dry-run -o yaml");
        Example("Deploy to gateways as a WasmPlugin and report the result as JSON", "wasme deploy istio ghcr.io/acme/add-header:v1 --id add-header -n istio-system -l istio=ingressgateway --patch-context gateway --delivery wasmplugin -o json");
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var context = Context;
        var image = parse.GetValue(_image)!;
        var id = parse.GetValue(_selection.Id)!;
        var ns = parse.GetValue(_selection.Namespace)!;
        var format = _output.ValueOf(parse);
        var (labels, badLabel) = WorkloadSelectionOptions.ParseLabels(parse.GetValue(_selection.Labels));
        if (badLabel is not null)
        {
            throw CommandException.Usage($"--labels '{badLabel}' is not k=v; write e.g. --labels app=details");
        }

        var dryRun = parse.GetValue(_selection.DryRun);
        var delivery = _delivery.ValueOf(parse);
        var deployment = new FilterDeployment
        {
            Metadata = new V1ObjectMeta { Name = id, NamespaceProperty = ns },
            Spec = new FilterDeploymentSpec
            {
                Filter = new FilterSpec
                {
                    Id = id,
                    Image = image,
                    Config = ConfigOf(parse.GetValue(_config), delivery),
                    RootId = parse.GetValue(_rootId),
                    PatchContext = _patchContext.Find(parse),
                    FailStrategy = _failStrategy.ValueOf(parse),
                },
                Deployment = new DeploymentSpec
                {
                    Istio = new IstioDeploymentSpec
                    {
                        Kind = _selection.WorkloadType.ValueOf(parse),
                        Labels = labels,
                        IstioNamespace = parse.GetValue(_istioNamespace),
                        Delivery = delivery,
                    },
                },
            },
        };

        var problems = FilterDeploymentValidator.Validate(deployment);
        if (problems.Count > 0)
        {
            ProblemReport.Write(context.Error, "deploy istio", problems);
            return ExitCodes.UsageError;
        }

        var cache = parse.GetValue(_cacheService)!;
        var colon = cache.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(cache[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            // As render: Envoy refuses a cluster port above 65535, and istiod an EnvoyFilter with a negative one.
            throw CommandException.Usage($"--cache-service '{cache}' must be host:port, e.g. wasme-cache.wasme.svc.cluster.local:9979");
        }

        if (!Durations.TryParse(parse.GetValue(_wait)!, out var wait))
        {
            throw CommandException.Usage($"--wait '{parse.GetValue(_wait)}' is not a duration; use a number with s, m or h, e.g. 2m (0 to not wait)");
        }

        // The operator and the cache pull the image too: they talk to the registry as this command was told to.
        var plainHttp = parse.GetValue(_facts.PlainHttp);
        var insecure = parse.GetValue(_facts.Insecure);
        if (plainHttp || insecure)
        {
            deployment.Spec.Filter.ImagePullOptions = new ImagePullOptions { PlainHttp = plainHttp ? true : null, InsecureSkipVerify = insecure ? true : null };
        }

        var (source, factsError) = await _facts.ResolveAsync(parse, image, context, cancellationToken);
        if (source is null)
        {
            throw CommandException.Usage(factsError!);
        }

        using var client = await IstioCluster.ConnectAsync(context, parse.GetValue(_selection.Kubeconfig), GlobalOptions.GetVerbosity(parse), cancellationToken);
        var cluster = new IstioCluster(client);
        var options = new TranslationOptions
        {
            Standalone = true,
            IgnoreVersionCheck = parse.GetValue(_ignoreVersionCheck),
            CacheServiceHost = cache[..colon],
            CacheServicePort = port,
        };
        if (parse.GetValue(_istioVersion) is { } versionText)
        {
            if (!IstioVersion.TryParse(versionText, out var given))
            {
                throw CommandException.Usage($"--istio-version '{versionText}' is not a version; write it as 1.7 or 1.20.3");
            }

            options = options with { IstioVersion = given };
        }
        else
        {
            var (detected, from) = await cluster.DetectIstioVersionAsync(parse.GetValue(_istioNamespace)!, ns, parse.GetValue(_istioRevision), cancellationToken);
            if (detected is { } version)
            {
                options = options with { IstioVersion = version };
                context.Error.MarkupLineInterpolated($"Istio {version} (from {from})");
            }
            else
            {
                context.Error.MarkupLineInterpolated($"[yellow]warning:[/] {from}; assuming Istio {IstioVersion.Latest} (pass --istio-version to choose)");
            }
        }

        var facts = await source.GetAsync(image, cancellationToken);
        var workloads = await cluster.ListWorkloadsAsync(ns, deployment.Spec.Deployment.Istio.Kind!.Value, cancellationToken);
        var result = FilterDeploymentTranslator.Translate(deployment, facts, workloads.Select(w => w.Workload), options);
        ProblemReport.Warnings(context.Error, result.Warnings);
        if (!result.Succeeded)
        {
            ProblemReport.Write(context.Error, "deploy istio", result.Problems);
            return ExitCodes.UsageError;
        }

        if (dryRun)
        {
            var rendered = ManifestRenderer.Render(result, workloads);
            ProblemReport.Raw(context.Out, format == OutputFormat.Json ? YamlJson.ToIndentedJson(KubernetesList(rendered)) + "\n" : YamlJson.Write(rendered));
            return ExitCodes.Success;
        }

        // The operator and the cache serve a FilterDeployment; one made here is served like one from Git.
        var imperative = new ImperativeFilterDeployment(client, context.TimeProvider);
        if (await imperative.FindOtherOwnerAsync(ns, id, result.Resources, cancellationToken) is { } owner)
        {
            throw new CommandException(ExitCodes.Failure, owner);
        }

        var applied = await imperative.ApplyAsync(deployment, cancellationToken);
        var written = new ObjectChange("FilterDeployment", ns, id, applied);
        if (!format.IsData())
        {
            context.Out.MarkupLineInterpolated($"FilterDeployment {ns}/{id} {applied}");
        }

        if (wait <= TimeSpan.Zero)
        {
            context.Error.MarkupLineInterpolated($"not waiting; follow it with: kubectl get filterdeployment {id} -n {ns}");
            WriteData(format, new DeployResult(written, Ready: false, "not waited for", []));
            return ExitCodes.Success;
        }

        var needsCache = deployment.Spec.Deployment.Istio.Delivery != DeliveryMode.WasmPlugin;
        var served = await imperative.WaitUntilServedAsync(ns, id, parse.GetValue(_cacheNamespace)!, needsCache, wait, cancellationToken);
        if (!served.Succeeded)
        {
            throw new CommandException(
                ExitCodes.Failure,
                $"FilterDeployment {ns}/{id} is not {(served.Expired ? $"served after {wait}" : "applied")}: {served.Message}",
                $"  fix: kubectl describe filterdeployment {id} -n {ns}; 'wasme undeploy istio --id {id} -n {ns}' takes it back");
        }

        if (served.NoWorkloads)
        {
            // Accepted, and served to matching workloads as they appear; but not ready now, and no module was looked for.
            var pending = $"applied to no workload yet: {served.Message}; the operator applies it to matching workloads as they appear";
            if (format.IsData())
            {
                WriteData(format, new DeployResult(written, Ready: false, pending, []));
            }
            else
            {
                context.Out.MarkupLineInterpolated($"Not ready: {pending}");
            }

            return ExitCodes.Success;
        }

        var message = $"{served.Message}{(needsCache ? "; the module is cached on every node" : string.Empty)}";
        if (format.IsData())
        {
            WriteData(format, new DeployResult(written, Ready: true, message, [.. result.Resources.Select(r => new ObjectChange(r.Kind, r.Namespace, r.Name, "applied by the operator"))]));
            return ExitCodes.Success;
        }

        foreach (var resource in result.Resources)
        {
            context.Out.MarkupLineInterpolated($"{resource.Kind} {resource.Namespace}/{resource.Name} applied by the operator");
        }

        context.Out.MarkupLineInterpolated($"Ready: {message}");
        return ExitCodes.Success;
    }

    private void WriteData(OutputFormat format, DeployResult result)
    {
        if (format.IsData())
        {
            DataOutput.Write(Context, format, result, IstioResultsJsonContext.Default.DeployResult);
        }
    }

    // kubectl's answer to 'get -o json' for several objects: one v1 List, which kubectl apply -f reads back.
    private static JsonObject KubernetesList(IEnumerable<JsonNode> items) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "List",
        ["items"] = new JsonArray([.. items.Select(i => i.DeepClone())]),
    };

    /// <summary>
    /// The FilterDeployment's config for <c>--config</c>: text as given, except for WasmPlugin delivery, where Istio passes
    /// <c>pluginConfig</c> as a JSON object, so the text must be one (as <c>config</c> is written in a FilterDeployment).
    /// </summary>
    private static JsonNode? ConfigOf(string? text, DeliveryMode delivery)
    {
        if (text is not { Length: > 0 })
        {
            return null;
        }

        if (delivery != DeliveryMode.WasmPlugin)
        {
            return JsonValue.Create(text);
        }

        try
        {
            if (JsonNode.Parse(text) is JsonObject config)
            {
                return config;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Reported below, with the fix.
        }

        throw CommandException.Usage(
            $"--config '{text}' is not a JSON object, and --delivery wasmplugin passes the config to the filter as a JSON object (pluginConfig); "
            + "write it as one, e.g. --config '{\"greeting\":\"hi\"}', or use --delivery remote for a string config");
    }
}
