using System.Globalization;
using System.Text.Json.Nodes;
using Wasme.Istio.Api;
using Wasme.Istio.Validation;
using Wasme.Istio.Versions;
using Wasme.Istio.Workloads;

namespace Wasme.Istio.Translation;

/// <summary>
/// The one pure translation shared by the operator, <c>wasme deploy istio</c> and <c>wasme render</c>:
/// FilterDeployment + image facts + candidate workloads + cluster facts → desired objects and pod-template edits.
/// No I/O; the same inputs always give byte-identical output.
/// </summary>
public static class FilterDeploymentTranslator
{
    public const string EnvoyFilterApiVersion = "networking.istio.io/v1alpha3";
    public const string WasmPluginApiVersion = "extensions.istio.io/v1alpha1";

    /// <summary>Translates one FilterDeployment. Workloads of other kinds or namespaces, or without the labels, are ignored.</summary>
    public static TranslationResult Translate(
        FilterDeployment deployment,
        ImageFacts image,
        IEnumerable<Workload> workloads,
        TranslationOptions options)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(workloads);
        ArgumentNullException.ThrowIfNull(options);

        var problems = new List<ValidationProblem>(FilterDeploymentValidator.Validate(deployment));
        var warnings = new List<string>();
        if (problems.Count > 0)
        {
            return Failed(problems, warnings);
        }

        var filter = deployment.Spec.Filter!;
        var istio = deployment.Spec.Deployment!.Istio!;
        var delivery = istio.Delivery ?? DeliveryMode.Remote;
        var failStrategy = filter.FailStrategy ?? FailStrategy.FailClose;
        CheckImageFacts(image, problems);
        CheckVersion(options, image, delivery, failStrategy, problems, warnings);

        var configProblems = new List<ValidationProblem>();
        var config = FilterConfiguration.Read(filter.Config, configProblems);
        var rootId = !string.IsNullOrEmpty(filter.RootId) ? filter.RootId : (image.RootIds.Count > 0 ? image.RootIds[0] : string.Empty);
        if (rootId.Length == 0)
        {
            warnings.Add("the image declares no root id and spec.filter.rootID is empty; the filter runs under the empty root id");
        }

        if (delivery == DeliveryMode.WasmPlugin && rootId.Length > MaxPluginNameLength)
        {
            // spec.filter.rootID is bounded by the CRD; a root id read from the image is not, and istiod refuses the WasmPlugin.
            problems.Add(new(
                "spec.filter.rootID",
                FilterDeploymentValidator.Shorten(rootId),
                $"the image's first root id is {rootId.Length} characters; istiod refuses a WasmPlugin whose pluginName is longer than {MaxPluginNameLength}",
                "set spec.filter.rootID to the root id the filter registers, or use delivery Remote or HostPath"));
        }

        if (delivery == DeliveryMode.WasmPlugin && config?.Json is { Count: 0 })
        {
            // istiod sets the plugin's configuration only when pluginConfig has a field (EnvoyFilter delivery passes "{}").
            warnings.Add("config is an empty object, which reaches a WasmPlugin's filter as no configuration at all (istiod drops an empty pluginConfig), not as '{}'; a filter that parses its configuration as JSON fails to start: give it a field, or leave config out if the filter expects none");
        }

        if (delivery == DeliveryMode.WasmPlugin && filter.ImagePullOptions?.InsecureSkipVerify == true)
        {
            // istio-agent pulls WasmPlugin images itself and verifies TLS unless its own setting says otherwise.
            warnings.Add($"insecureSkipVerify applies to the operator only: istio-agent verifies the registry's certificate unless WASM_INSECURE_REGISTRIES on the proxies lists {RegistryOf(filter.Image!)}");
        }

        if (problems.Count > 0)
        {
            return Failed(problems, warnings);
        }

        var candidates = workloads.ToList();
        var selected = Select(deployment, istio, candidates);
        var context = new Context(deployment, FilterDeploymentValidator.EffectiveId(deployment), image, options, config, rootId, delivery, failStrategy);
        var resources = new List<DesiredResource>();
        var patches = new List<WorkloadPatch>();
        foreach (var workload in selected)
        {
            var name = ResourceName(workload.Name, context.Id);
            if (name.Length > MaxObjectNameLength)
            {
                // The API server would refuse the object on every attempt; say so once, with the fix.
                problems.Add(new(
                    "spec.filter.id",
                    context.Id,
                    $"the object for {workload.Kind} {workload.Name} would be named '{workload.Name}-{context.Id}', {name.Length} characters; Kubernetes allows at most {MaxObjectNameLength}",
                    $"choose a filter id of at most {MaxObjectNameLength - workload.Name.Length - 1} characters, or shorten the workload's name"));
                continue;
            }

            var patchContext = filter.PatchContext ?? DefaultContext(workload);
            if (DefaultContext(workload) == PatchContext.Gateway)
            {
                var chosen = patchContext.ToString().ToLowerInvariant();
                if (delivery != DeliveryMode.WasmPlugin && patchContext is PatchContext.Inbound or PatchContext.Outbound)
                {
                    // The original's issue #267, chosen explicitly: istiod matches SIDECAR_* patches on sidecars only.
                    warnings.Add($"{workload.Kind} {workload.Name} runs an Istio gateway, which has no SIDECAR_{chosen.ToUpperInvariant()} listeners: patchContext {chosen} configures nothing there; use patchContext: gateway, or leave it out to have it chosen per workload");
                }
                else if (delivery == DeliveryMode.WasmPlugin && patchContext == PatchContext.Inbound)
                {
                    // istiod counts a gateway's listeners as CLIENT traffic (pilot/pkg/model/extensions.go), so mode SERVER never matches.
                    warnings.Add($"{workload.Kind} {workload.Name} runs an Istio gateway, whose listeners a WasmPlugin matches as mode CLIENT, not SERVER: patchContext {chosen} configures nothing there; use patchContext: gateway, or leave it out to have it chosen per workload");
                }
            }

            var resource = delivery == DeliveryMode.WasmPlugin ? WasmPlugin(context, workload, patchContext) : EnvoyFilter(context, workload, patchContext);
            resources.Add(resource);
            if (OverlapWarning(resource, workload, candidates, selected) is { } overlap)
            {
                warnings.Add(overlap);
            }

            if (workload.Namespace == (string.IsNullOrEmpty(istio.IstioNamespace) ? DefaultIstioNamespace : istio.IstioNamespace))
            {
                // istiod applies EnvoyFilters and WasmPlugins of its config root namespace (by default its own) to matching
                // proxies in every namespace, so the selector reaches beyond the one workload the status names.
                warnings.Add($"{resource.Kind} {resource.Name} is in {workload.Namespace}, Istio's config root namespace by default: istiod applies it to every proxy in any namespace whose pods carry {string.Join(",", workload.PodTemplateLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))}, not only to {workload.Kind} {workload.Name}; give those pods a label no other workload has and select by it, or run the workload in another namespace");
            }

            if (delivery == DeliveryMode.HostPath)
            {
                var changes = SidecarVolumeAnnotations.Add(workload.PodTemplateAnnotations, context.Id, problems);
                if (!changes.IsEmpty)
                {
                    patches.Add(new WorkloadPatch(workload, changes));
                }
            }
        }

        if (selected.Count == 0)
        {
            warnings.Add($"no {istio.Kind ?? WorkloadKind.Deployment} in namespace {FilterDeploymentValidator.EffectiveNamespace(deployment)} matches the labels; nothing to configure yet");
        }

        return problems.Count > 0
            ? Failed(problems, warnings)
            : new TranslationResult(selected, resources, patches, [], warnings);
    }

    /// <summary>The pod-template edits that undo what <see cref="Translate"/> asked of <paramref name="workload"/> for filter <paramref name="filterId"/>.</summary>
    public static AnnotationChanges Undo(Workload workload, string filterId)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return SidecarVolumeAnnotations.Remove(workload.PodTemplateAnnotations, filterId);
    }

    /// <summary>Where istiod runs when <c>spec.deployment.istio.istioNamespace</c> is not set; also Istio's default config root namespace.</summary>
    public const string DefaultIstioNamespace = "istio-system";

    /// <summary>istiod's limit on a WasmPlugin's <c>pluginName</c> (pkg/config/validation, validateWasmPluginName).</summary>
    public const int MaxPluginNameLength = 256;

    /// <summary>Kubernetes' limit on an object name (a DNS-1123 subdomain).</summary>
    public const int MaxObjectNameLength = 253;

    /// <summary>Name of the EnvoyFilter or WasmPlugin generated for a workload, as in the original: <c>&lt;workload&gt;-&lt;filter id&gt;</c>.</summary>
    public static string ResourceName(string workloadName, string filterId) => $"{workloadName}-{filterId}";

    /// <summary>Workload selection as in the original: same namespace and kind, and the workload object's own labels contain every selector label.</summary>
    public static IReadOnlyList<Workload> Select(FilterDeployment deployment, IstioDeploymentSpec istio, IEnumerable<Workload> workloads)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(istio);
        ArgumentNullException.ThrowIfNull(workloads);
        var ns = FilterDeploymentValidator.EffectiveNamespace(deployment);
        var kind = istio.Kind ?? WorkloadKind.Deployment;
        var labels = istio.Labels ?? new Dictionary<string, string>();
        return workloads
            .Where(w => w.Kind == kind && w.Namespace == ns)
            .Where(w => labels.All(l => w.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .OrderBy(w => w.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static TranslationResult Failed(List<ValidationProblem> problems, List<string> warnings) => new([], [], [], problems, warnings);

    // istiod applies the object to every pod of the namespace whose labels include its selector, not to one workload: the
    // pods of another workload that carry all of them get the filter too, twice when that workload has its own object.
    private static string? OverlapWarning(DesiredResource resource, Workload workload, IReadOnlyList<Workload> candidates, IReadOnlyList<Workload> selected)
    {
        var reached = candidates
            .Where(other => other.Namespace == workload.Namespace && (other.Kind != workload.Kind || other.Name != workload.Name))
            .Where(other => workload.PodTemplateLabels.All(l => other.PodTemplateLabels.TryGetValue(l.Key, out var v) && v == l.Value))
            .OrderBy(other => other.Kind.ToString(), StringComparer.Ordinal)
            .ThenBy(other => other.Name, StringComparer.Ordinal)
            .Select(other => selected.Any(s => s.Kind == other.Kind && s.Name == other.Name)
                ? $"{other.Kind} {other.Name} (which gets its own, so the filter runs twice there)"
                : $"{other.Kind} {other.Name}")
            .ToList();
        if (reached.Count == 0)
        {
            return null;
        }

        var selector = string.Join(",", workload.PodTemplateLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        return $"{resource.Kind} {resource.Name} selects pods by {selector}, which the pods of {string.Join(", ", reached)} also carry: istiod applies it to them as well; "
            + $"give the pods of {workload.Kind} {workload.Name} a label the others lack (istiod matches pods, not workloads)";
    }

    // Gateways have no SIDECAR_* listeners, so the original's inbound default silently did nothing there (issue #267).
    // The istio/gateway Helm chart labels pods istio=<release name>, so a gateway of another name is known by its pods
    // asking the injector for the gateway template.
    private static PatchContext DefaultContext(Workload workload) =>
        workload.PodTemplateLabels.TryGetValue("istio", out var role) && role is "ingressgateway" or "egressgateway"
        || workload.PodTemplateLabels.ContainsKey("gateway.networking.k8s.io/gateway-name")
        || workload.PodTemplateAnnotations.TryGetValue("inject.istio.io/templates", out var templates)
            && templates.Split(',', StringSplitOptions.TrimEntries).Contains("gateway", StringComparer.Ordinal)
            ? PatchContext.Gateway
            : PatchContext.Inbound;

    private static void CheckImageFacts(ImageFacts image, List<ValidationProblem> problems)
    {
        if (!IsHex64(image.ModuleSha256))
        {
            problems.Add(new("image facts: module sha256", image.ModuleSha256, "not a lower-case hex sha256", "pass the sha256 of the module bytes (64 hex characters)"));
        }

        if (!image.ManifestDigest.StartsWith("sha256:", StringComparison.Ordinal) || !IsHex64(image.ManifestDigest["sha256:".Length..]))
        {
            problems.Add(new("image facts: manifest digest", image.ManifestDigest, "not a sha256 digest", "pass the manifest digest as sha256:<64 hex>"));
        }
    }

    private static string RegistryOf(string image)
    {
        var slash = image.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? image[..slash] : "docker.io";
    }

    private static bool IsHex64(string text) => text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static void CheckVersion(TranslationOptions options, ImageFacts image, DeliveryMode delivery, FailStrategy failStrategy, List<ValidationProblem> problems, List<string> warnings)
    {
        var version = options.IstioVersion;
        if (version < IstioCompatibility.Oldest)
        {
            problems.Add(new("istio version", version.ToString(), $"Istio before {IstioCompatibility.Oldest} has no Wasm support", "upgrade Istio"));
            return;
        }

        if (delivery == DeliveryMode.WasmPlugin && version < IstioCompatibility.WasmPlugin)
        {
            problems.Add(new("spec.deployment.istio.delivery", "WasmPlugin", $"Istio {version} has no WasmPlugin API (it arrived in {IstioCompatibility.WasmPlugin})", "use delivery Remote or HostPath"));
        }

        if (failStrategy == FailStrategy.FailReload && version < IstioCompatibility.FailReload)
        {
            problems.Add(new("spec.filter.failStrategy", "FailReload", $"Istio {version} cannot reload a failed filter (it arrived in {IstioCompatibility.FailReload})", "use FailClose or FailOpen"));
        }
        else if (failStrategy == FailStrategy.FailOpen && delivery != DeliveryMode.WasmPlugin && version < IstioCompatibility.FailOpen)
        {
            problems.Add(new("spec.filter.failStrategy", "FailOpen", $"the Envoy of Istio {version} has no fail_open for Wasm filters (it arrived in {IstioCompatibility.FailOpen})", "use FailClose"));
        }

        if (options.IgnoreVersionCheck)
        {
            return;
        }

        if (image.AbiVersions.Count == 0)
        {
            warnings.Add("the image declares no ABI version; skipping the Istio compatibility check");
        }
        else if (!IstioCompatibility.SupportsAny(version, image.AbiVersions))
        {
            problems.Add(new(
                "spec.filter.image",
                string.Join(", ", image.AbiVersions),
                $"the image's ABI is not supported by Istio {version} (it supports {string.Join(", ", IstioCompatibility.SupportedAbis(version))})",
                "use an image built for this Istio release, or pass --ignore-version-check if you know it works"));
        }
    }

    private sealed record Context(
        FilterDeployment Deployment,
        string Id,
        ImageFacts Image,
        TranslationOptions Options,
        FilterConfiguration? Config,
        string RootId,
        DeliveryMode Delivery,
        FailStrategy FailStrategy)
    {
        public bool Typed => Options.IstioVersion >= IstioCompatibility.TypedConfig;

        public string CacheClusterName => $"wasme-cache.{Id}";
    }

    private static JsonObject Metadata(Context context, Workload workload, string name)
    {
        var labels = new JsonObject { [WasmeMetadata.ManagedByLabel] = WasmeMetadata.ManagedByValue };
        if (!context.Options.Standalone && context.Deployment.Metadata.Name is { Length: <= 63 } fdName)
        {
            labels[WasmeMetadata.FilterDeploymentLabel] = fdName;
        }

        labels[WasmeMetadata.FilterIdLabel] = context.Id;
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = workload.Namespace,
            ["labels"] = labels,
            ["annotations"] = new JsonObject
            {
                [WasmeMetadata.ImageAnnotation] = context.Deployment.Spec.Filter!.Image,
                [WasmeMetadata.ModuleSha256Annotation] = context.Image.ModuleSha256,
                [WasmeMetadata.WorkloadAnnotation] = $"{workload.Kind}/{workload.Name}",
            },
        };

        // Garbage collection removes what a FilterDeployment made when it is deleted; the CLI path has no owner object.
        if (!context.Options.Standalone && context.Deployment.Metadata.Uid is { Length: > 0 } uid)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = FilterDeployment.GroupVersion,
                ["kind"] = FilterDeployment.KubeKind,
                ["name"] = context.Deployment.Metadata.Name,
                ["uid"] = uid,
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            });
        }

        return metadata;
    }

    private static JsonObject Labels(IReadOnlyDictionary<string, string> labels)
    {
        var result = new JsonObject();
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            result[key] = value;
        }

        return result;
    }

    private static DesiredResource EnvoyFilter(Context context, Workload workload, PatchContext patchContext)
    {
        var name = ResourceName(workload.Name, context.Id);
        var patches = new JsonArray();
        if (context.Delivery == DeliveryMode.Remote)
        {
            patches.Add((JsonNode)CachePatch(context));
        }

        patches.Add((JsonNode)new JsonObject
        {
            ["applyTo"] = "HTTP_FILTER",
            ["match"] = new JsonObject
            {
                ["context"] = patchContext switch
                {
                    PatchContext.Outbound => "SIDECAR_OUTBOUND",
                    PatchContext.Gateway => "GATEWAY",
                    PatchContext.Any => "ANY",
                    _ => "SIDECAR_INBOUND",
                },
                ["listener"] = new JsonObject
                {
                    ["filterChain"] = new JsonObject
                    {
                        ["filter"] = new JsonObject
                        {
                            // Istio 1.7+ warns about the deprecated names the original (and the seed) used.
                            ["name"] = context.Typed ? "envoy.filters.network.http_connection_manager" : "envoy.http_connection_manager",
                            ["subFilter"] = new JsonObject { ["name"] = context.Typed ? "envoy.filters.http.router" : "envoy.router" },
                        },
                    },
                },
            },
            ["patch"] = new JsonObject
            {
                ["operation"] = "INSERT_BEFORE",
                ["value"] = context.Typed ? TypedFilter(context) : UntypedFilter(context),
            },
        });

        var manifest = new JsonObject
        {
            ["apiVersion"] = EnvoyFilterApiVersion,
            ["kind"] = "EnvoyFilter",
            ["metadata"] = Metadata(context, workload, name),
            ["spec"] = new JsonObject
            {
                ["configPatches"] = patches,
                ["workloadSelector"] = new JsonObject { ["labels"] = Labels(workload.PodTemplateLabels) },
            },
        };
        return new DesiredResource(EnvoyFilterApiVersion, "EnvoyFilter", workload.Namespace, name, manifest);
    }

    // The seed's shape for Istio < 1.7: Envoy v2 untyped struct, configuration as a plain string.
    private static JsonObject UntypedFilter(Context context)
    {
        var pluginConfig = new JsonObject();
        if (context.Config is { } config)
        {
            pluginConfig["configuration"] = config.Text;
        }

        pluginConfig["name"] = context.Id;
        pluginConfig["rootId"] = context.RootId;
        pluginConfig["vmConfig"] = new JsonObject
        {
            ["code"] = context.Delivery == DeliveryMode.Remote
                ? new JsonObject
                {
                    ["remote"] = new JsonObject
                    {
                        ["httpUri"] = new JsonObject
                        {
                            ["cluster"] = context.CacheClusterName,
                            ["timeout"] = "10s",
                            ["uri"] = CacheUri(context),
                        },
                        ["sha256"] = context.Image.ModuleSha256,
                    },
                }
                : new JsonObject { ["local"] = new JsonObject { ["filename"] = HostFile(context) } },
            ["runtime"] = "envoy.wasm.runtime.v8",
            ["vmId"] = context.Id,
        };

        return new JsonObject
        {
            ["config"] = new JsonObject { ["config"] = pluginConfig },
            ["name"] = "envoy.filters.http.wasm",
        };
    }

    // Istio >= 1.7: typed v3 envoy.extensions.filters.http.wasm.v3.Wasm, configuration as a StringValue Any.
    private static JsonObject TypedFilter(Context context)
    {
        var pluginConfig = new JsonObject
        {
            ["name"] = context.Id,
            ["root_id"] = context.RootId,
        };
        if (context.Config is { } config)
        {
            pluginConfig["configuration"] = new JsonObject
            {
                ["@type"] = FilterConfiguration.StringValueType,
                ["value"] = config.Text,
            };
        }

        pluginConfig["vm_config"] = new JsonObject
        {
            ["vm_id"] = context.Id,
            ["runtime"] = "envoy.wasm.runtime.v8",
            ["code"] = context.Delivery == DeliveryMode.Remote
                ? new JsonObject
                {
                    ["remote"] = new JsonObject
                    {
                        ["http_uri"] = new JsonObject
                        {
                            ["uri"] = CacheUri(context),
                            ["cluster"] = context.CacheClusterName,
                            ["timeout"] = "10s",
                        },
                        ["sha256"] = context.Image.ModuleSha256,
                        // Envoy retries a failed fetch once by default and then waits for the next config push.
                        ["retry_policy"] = new JsonObject { ["num_retries"] = 5 },
                    },
                }
                : new JsonObject { ["local"] = new JsonObject { ["filename"] = HostFile(context) } },
        };

        switch (context.FailStrategy)
        {
            case FailStrategy.FailOpen:
                pluginConfig["fail_open"] = true;
                break;
            case FailStrategy.FailReload:
                pluginConfig["failure_policy"] = "FAIL_RELOAD";
                break;
        }

        return new JsonObject
        {
            ["name"] = "envoy.filters.http.wasm",
            ["typed_config"] = new JsonObject
            {
                ["@type"] = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                ["config"] = pluginConfig,
            },
        };
    }

    // The cluster that reaches the cache Service (the original's unmerged HTTP-cache design, section 9). One per filter
    // id, inside the filter's own EnvoyFilter, so two filters on one workload never add the same cluster name twice.
    private static JsonObject CachePatch(Context context) => new()
    {
        ["applyTo"] = "CLUSTER",
        ["match"] = new JsonObject { ["context"] = "ANY" },
        ["patch"] = new JsonObject
        {
            ["operation"] = "ADD",
            ["value"] = new JsonObject
            {
                ["name"] = context.CacheClusterName,
                ["type"] = "STRICT_DNS",
                ["connect_timeout"] = "3s",
                ["load_assignment"] = new JsonObject
                {
                    ["cluster_name"] = context.CacheClusterName,
                    ["endpoints"] = new JsonArray(new JsonObject
                    {
                        ["lb_endpoints"] = new JsonArray(new JsonObject
                        {
                            ["endpoint"] = new JsonObject
                            {
                                ["address"] = new JsonObject
                                {
                                    ["socket_address"] = new JsonObject
                                    {
                                        ["address"] = context.Options.CacheServiceHost,
                                        ["port_value"] = context.Options.CacheServicePort,
                                    },
                                },
                            },
                        }),
                    }),
                },
            },
        },
    };

    private static string CacheUri(Context context) => string.Create(
        CultureInfo.InvariantCulture,
        $"http://{context.Options.CacheServiceHost}:{context.Options.CacheServicePort}/sha256/{context.Image.ModuleSha256}");

    private static string HostFile(Context context) => $"{WasmeMetadata.HostCacheDirectory}/{context.Image.ModuleSha256}";

    private static DesiredResource WasmPlugin(Context context, Workload workload, PatchContext patchContext)
    {
        var name = ResourceName(workload.Name, context.Id);
        var spec = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = Labels(workload.PodTemplateLabels) },
            ["url"] = $"oci://{context.Image.Repository}@{context.Image.ManifestDigest}",
            // For oci:// Istio compares sha256 with the manifest digest, not the module bytes.
            ["sha256"] = context.Image.ManifestDigest["sha256:".Length..],
        };
        if (context.RootId.Length > 0)
        {
            spec["pluginName"] = context.RootId;
        }

        if (context.Config?.Json is { } json)
        {
            spec["pluginConfig"] = json.DeepClone();
        }

        spec["failStrategy"] = context.FailStrategy switch
        {
            FailStrategy.FailOpen => "FAIL_OPEN",
            FailStrategy.FailReload => "FAIL_RELOAD",
            _ => "FAIL_CLOSE",
        };

        if (context.Deployment.Spec.Filter!.ImagePullOptions?.PullSecret is { Length: > 0 } secret)
        {
            spec["imagePullSecret"] = secret;
        }

        var mode = patchContext switch
        {
            PatchContext.Inbound => "SERVER",
            PatchContext.Outbound => "CLIENT",
            _ => null, // gateways and "any": every listener the selector reaches.
        };
        if (mode is not null)
        {
            spec["match"] = new JsonArray(new JsonObject { ["mode"] = mode });
        }

        var manifest = new JsonObject
        {
            ["apiVersion"] = WasmPluginApiVersion,
            ["kind"] = "WasmPlugin",
            ["metadata"] = Metadata(context, workload, name),
            ["spec"] = spec,
        };
        return new DesiredResource(WasmPluginApiVersion, "WasmPlugin", workload.Namespace, name, manifest);
    }
}
