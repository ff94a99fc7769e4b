using System.CommandLine;
using System.Text.Json.Nodes;
using k8s.Autorest;
using k8s.Models;
using Spectre.Console;
using Wasme.Istio.Api;
using Wasme.Istio.Rendering;
using Wasme.Istio.Translation;
using Wasme.Istio.Validation;
using Wasme.Istio.Versions;
using Wasme.Istio.Yaml;
using Wasme.Kubernetes.Configuration;

namespace Wasme.Cli.Commands.Istio;

/// <summary><c>wasme deploy</c>: the imperative counterpart of a FilterDeployment.</summary>
internal sealed class DeployCommand : Command
{
    public DeployCommand(CliContext context)
        : base("deploy", "Deploy a filter image to proxies.")
    {
        Subcommands.Add(new DeployIstioCommand(context));
    }
}

/// <summary>
/// <c>wasme deploy istio IMAGE --id ID</c>: runs the same translation as the operator, for the workloads in the current
/// kubeconfig's cluster, and applies the result (or prints it with <c>--dry-run</c>).
/// </summary>
internal sealed class DeployIstioCommand : Command
{
    private readonly Argument<string> _image = new("image") { Description = "Image reference, e.g. webassemblyhub.io/ceposta/demo-add-header:v0.2" };
    private readonly WorkloadSelectionOptions _selection = new();
    private readonly Option<string?> _config = new("--config") { Description = "Configuration string passed to the filter." };
    private readonly Option<string?> _rootId = new("--root-id") { Description = "Root id (default the image's first root id)." };
    private readonly Option<string?> _patchContext = new("--patch-context") { Description = "inbound, outbound, gateway or any (default inbound; gateway for Istio gateways)." };
    private readonly Option<string> _delivery = new("--delivery") { Description = "How the module reaches the proxies: remote, hostpath or wasmplugin.", DefaultValueFactory = _ => "remote" };
    private readonly Option<string> _failStrategy = new("--fail-strategy") { Description = "failclose, failopen or failreload.", DefaultValueFactory = _ => "failclose" };
    private readonly Option<string> _istioNamespace = new("--istio-namespace") { Description = "Namespace of istiod.", DefaultValueFactory = _ => "istio-system" };
    private readonly Option<string?> _istioRevision = new("--istio-revision") { Description = "istiod revision (default the namespace's istio.io/rev label)." };
    private readonly Option<string?> _istioVersion = new("--istio-version") { Description = "Istio release, instead of asking istiod." };
    private readonly Option<bool> _ignoreVersionCheck = new("--ignore-version-check") { Description = "Deploy even when the image's ABI is not known to run on that Istio release." };
    private readonly Option<string> _cacheService = new("--cache-service") { Description = "host:port of the wasme cache Service, for --dry-run output (deployed filters use the operator's --cache-service-url).", DefaultValueFactory = _ => "wasme-cache.wasme.svc.cluster.local:9979" };
    private readonly Option<string?> _output = new("--output", "-o") { Description = "With --dry-run: yaml." };
    private readonly Option<string> _wait = new("--wait") { Description = "How long to wait for the operator to apply the filter and every node's cache to hold the module (0: do not wait).", DefaultValueFactory = _ => "2m" };
    private readonly Option<string> _cacheNamespace = new("--cache-namespace") { Description = "Namespace of the wasme cache DaemonSet, whose nodes report the modules they hold.", DefaultValueFactory = _ => "wasme" };
    private readonly ImageFactsOptions _facts = new();

    public DeployIstioCommand(CliContext context)
        : base("istio", "Deploy a filter to Istio workloads (EnvoyFilter or WasmPlugin per workload).")
    {
        Arguments.Add(_image);
        _selection.AddTo(this);
        foreach (var option in new Option[] { _config, _rootId, _patchContext, _delivery, _failStrategy, _istioNamespace, _istioRevision, _istioVersion, _ignoreVersionCheck, _cacheService, _output, _wait, _cacheNamespace })
        {
            Options.Add(option);
        }

        _patchContext.AcceptOnlyFromAmong("inbound", "outbound", "gateway", "any");
        _delivery.AcceptOnlyFromAmong("remote", "hostpath", "wasmplugin");
        _failStrategy.AcceptOnlyFromAmong("failclose", "failopen", "failreload");
        _output.AcceptOnlyFromAmong("yaml");
        _facts.AddTo(this);
        SetAction((parse, ct) => RunAsync(context, parse, ct));
    }

    private async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var image = parse.GetValue(_image)!;
        var id = parse.GetValue(_selection.Id)!;
        var ns = parse.GetValue(_selection.Namespace)!;
        var (labels, badLabel) = WorkloadSelectionOptions.ParseLabels(parse.GetValue(_selection.Labels));
        if (badLabel is not null)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] --labels '{badLabel}' is not k=v; write e.g. --labels app=details");
            return ExitCodes.UsageError;
        }

        var dryRun = parse.GetValue(_selection.DryRun);
        var deployment = new FilterDeployment
        {
            Metadata = new V1ObjectMeta { Name = id, NamespaceProperty = ns },
            Spec = new FilterDeploymentSpec
            {
                Filter = new FilterSpec
                {
                    Id = id,
                    Image = image,
                    Config = parse.GetValue(_config) is { Length: > 0 } config ? JsonValue.Create(config) : null,
                    RootId = parse.GetValue(_rootId),
                    PatchContext = parse.GetValue(_patchContext) switch
                    {
                        "inbound" => PatchContext.Inbound,
                        "outbound" => PatchContext.Outbound,
                        "gateway" => PatchContext.Gateway,
                        "any" => PatchContext.Any,
                        _ => null,
                    },
                    FailStrategy = parse.GetValue(_failStrategy) switch
                    {
                        "failopen" => FailStrategy.FailOpen,
                        "failreload" => FailStrategy.FailReload,
                        _ => FailStrategy.FailClose,
                    },
                },
                Deployment = new DeploymentSpec
                {
                    Istio = new IstioDeploymentSpec
                    {
                        Kind = WorkloadSelectionOptions.Kind(parse.GetValue(_selection.WorkloadType)!),
                        Labels = labels,
                        IstioNamespace = parse.GetValue(_istioNamespace),
                        Delivery = parse.GetValue(_delivery) switch
                        {
                            "hostpath" => DeliveryMode.HostPath,
                            "wasmplugin" => DeliveryMode.WasmPlugin,
                            _ => DeliveryMode.Remote,
                        },
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
        if (colon <= 0 || !int.TryParse(cache[(colon + 1)..], out var port))
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] --cache-service '{cache}' must be host:port");
            return ExitCodes.UsageError;
        }

        if (!Durations.TryParse(parse.GetValue(_wait)!, out var wait))
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] --wait '{parse.GetValue(_wait)}' is not a duration; use a number with s, m or h, e.g. 2m (0 to not wait)");
            return ExitCodes.UsageError;
        }

        // The operator and the cache pull the image too: they talk to the registry as this command was told to.
        var plainHttp = parse.GetValue(_facts.PlainHttp);
        var insecure = parse.GetValue(_facts.Insecure);
        if (plainHttp || insecure)
        {
            deployment.Spec.Filter.ImagePullOptions = new ImagePullOptions { PlainHttp = plainHttp ? true : null, InsecureSkipVerify = insecure ? true : null };
        }

        var (source, factsError) = _facts.Resolve(parse, image, context);
        if (source is null)
        {
            context.Error.MarkupLineInterpolated($"[red]error:[/] {factsError}");
            return ExitCodes.UsageError;
        }

        try
        {
            using var client = IstioCluster.Connect(context, parse.GetValue(_selection.Kubeconfig));
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
                    context.Error.MarkupLineInterpolated($"[red]error:[/] --istio-version '{versionText}' is not a version; write it as 1.7 or 1.20.3");
                    return ExitCodes.UsageError;
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
                ProblemReport.Raw(context.Out, YamlJson.Write(ManifestRenderer.Render(result, workloads)));
                return ExitCodes.Success;
            }

            // The operator and the cache serve a FilterDeployment; one made here is served like one from Git.
            var imperative = new ImperativeFilterDeployment(client, context.TimeProvider);
            if (await imperative.FindOtherOwnerAsync(ns, id, result.Resources, cancellationToken) is { } owner)
            {
                context.Error.MarkupLineInterpolated($"[red]error:[/] {owner}");
                return ExitCodes.Failure;
            }

            var applied = await imperative.ApplyAsync(deployment, cancellationToken);
            context.Out.MarkupLineInterpolated($"FilterDeployment {ns}/{id} {applied}");
            if (wait <= TimeSpan.Zero)
            {
                context.Error.MarkupLineInterpolated($"not waiting; follow it with: kubectl get filterdeployment {id} -n {ns}");
                return ExitCodes.Success;
            }

            var needsCache = deployment.Spec.Deployment.Istio.Delivery != DeliveryMode.WasmPlugin;
            var served = await imperative.WaitUntilServedAsync(ns, id, parse.GetValue(_cacheNamespace)!, needsCache, wait, cancellationToken);
            if (!served.Succeeded)
            {
                context.Error.MarkupLineInterpolated($"[red]error:[/] FilterDeployment {ns}/{id} is not {(served.Expired ? $"served after {wait}" : "applied")}: {served.Message}");
                context.Error.MarkupLineInterpolated($"  fix: kubectl describe filterdeployment {id} -n {ns}; 'wasme undeploy istio --id {id} -n {ns}' takes it back");
                return ExitCodes.Failure;
            }

            foreach (var resource in result.Resources)
            {
                context.Out.MarkupLineInterpolated($"{resource.Kind} {resource.Namespace}/{resource.Name} applied by the operator");
            }

            context.Out.MarkupLineInterpolated($"Ready: {served.Message}{(needsCache ? "; the module is cached on every node" : string.Empty)}");
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

internal static class ClusterErrors
{
    public static int Report(CliContext context, HttpOperationException e)
    {
        var status = (int)e.Response.StatusCode;
        var hint = status switch
        {
            401 or 403 => "check that your kubeconfig user may do this",
            404 when e.Response.Content.Contains("could not find the requested resource", StringComparison.Ordinal) => "are Istio and wasme installed? their EnvoyFilter/WasmPlugin/FilterDeployment CRDs are not served (wasme: kubectl apply -k deploy/)",
            404 => "check the namespace and names",
            409 => "the object changed meanwhile; run the command again",
            _ => "see the API server's message",
        };
        context.Error.MarkupLineInterpolated($"[red]error:[/] the Kubernetes API answered {status}: {e.Response.Content}");
        context.Error.MarkupLineInterpolated($"  fix: {hint}");
        return status is 401 or 403 ? ExitCodes.AuthFailure : status == 404 ? ExitCodes.NotFound : ExitCodes.Failure;
    }
}
