using System.CommandLine;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Store;
using Wasme.Proxy.Hosting;
using Wasme.Proxy.Istio;
using Wasme.Proxy.Tcp;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;
using Wasme.Signing.Bundles;
using Wasme.Signing.Verification;

namespace Wasme.Cli.Commands.Run;

/// <summary>
/// <c>wasme run</c>: runs filters in front of an HTTP service on this machine, without Envoy: a Kestrel reverse
/// proxy with the Proxy-Wasm host, until Ctrl+C.
/// </summary>
internal sealed class RunCommand : WasmeCommand
{
    private static readonly IReadOnlyList<(string Word, FailurePolicy Value)> FailPolicies =
        [("fail-closed", FailurePolicy.FailClosed), ("fail-open", FailurePolicy.FailOpen), ("reload", FailurePolicy.Reload)];

    private static readonly IReadOnlyList<(string Word, LogLevel Value)> LogLevels =
        [("trace", LogLevel.Trace), ("debug", LogLevel.Debug), ("info", LogLevel.Information), ("warn", LogLevel.Warning), ("error", LogLevel.Error)];

    private readonly Func<ParseResult, CancellationToken, Task<RunRequest>> _bind;

    public RunCommand(CliContext context)
        : base(context, "run", "Run Proxy-Wasm filters (images, .wasm files, or an EnvoyFilter/WasmPlugin file) in a local proxy in front of an HTTP service.")
    {
        var filters = new Argument<string[]>("IMAGE_OR_FILE") { Description = "Images in the local store or module files (.wasm, or WebAssembly text .wat), in chain order.", Arity = ArgumentArity.ZeroOrMore };
        var upstream = new Option<string>("--upstream") { Description = "URL requests are forwarded to, for example http://127.0.0.1:9000." };
        var echo = new Option<bool>("--echo-upstream") { Description = "Forward to a built-in server that echoes each request back as JSON." };
        var h2c = new Option<bool>("--h2c") { Description = "Clients and the upstream speak HTTP/2 without TLS (prior knowledge), as gRPC does: the listener takes only HTTP/2." };
        var acceptHttp10 = new Option<bool>("--accept-http-10") { Description = "Take HTTP/1.0 requests (with a Host header), as Envoy's accept_http_10; by default they are answered 426 Upgrade Required, as Envoy answers them." };
        var listen = new Option<string>("--listen") { Description = "HOST:PORT the proxy takes requests on; port 0 lets the kernel choose (the first line printed names the port). An address other than loopback takes requests from the network.", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var admin = new Option<string?>("--admin") { Description = "HOST:PORT of the admin endpoint (/stats, /stats?format=json, /ready), for example 127.0.0.1:9901; none unless given. It has no authentication: keep it on loopback, as Istio keeps Envoy's." };
        var config = new Option<string?>("--config") { Description = "Plugin configuration given to every filter." };
        var configFile = new Option<FileInfo?>("--config-file") { Description = "File whose content is the plugin configuration." };
        var vmConfig = new Option<string?>("--vm-config") { Description = "VM configuration (what proxy_on_vm_start reads) given to every filter." };
        var vmConfigFile = new Option<FileInfo?>("--vm-config-file") { Description = "File whose content is the VM configuration." };
        var rootId = new Option<string?>("--root-id") { Description = "Root id; defaults to the image's first root id." };
        var id = new Option<string?>("--id") { Description = "Plugin name (logs, plugin_name); defaults to the image or file name." };
        var failPolicy = new EnumOption<FailurePolicy>("--fail-policy", [], FailPolicies, "What a failed filter does to requests: fail-closed (503), fail-open (skip), reload (503, new VM).", FailurePolicy.FailClosed);
        var clusters = new Option<string[]>("--cluster") { Description = "Named upstream for http_call, gRPC calls (HTTP/2, h2c for http://) and remote code, NAME=URL (repeatable).", AllowMultipleArgumentsPerToken = false };
        var envoyFilter = new Option<string[]>("--envoy-filter") { Description = "EnvoyFilter or WasmPlugin YAML whose Wasm filters to run (repeatable)." };
        var mounts = new Option<string[]>("--mount") { Description = "Map local file paths in --envoy-filter resources, HOST_DIR:CONTAINER_DIR, like a sidecar volume mount (repeatable).", AllowMultipleArgumentsPerToken = false };
        var store = new Option<string?>("--store") { Description = $"Local image store (default: ${LocalImageStore.EnvironmentVariable} or ~/.wasme/store)." };
        var bodyLimit = new Option<int>("--max-buffered-body") { Description = "Most body bytes one filter may hold buffered (413/500 past it).", DefaultValueFactory = _ => ProxyOptions.DefaultBodyBufferLimit };
        var idleTimeout = new Option<string>("--stream-idle-timeout") { Description = "Longest a filter may hold a request paused before it is answered 408, like Envoy's stream idle timeout: 30s, 5m, 1h.", DefaultValueFactory = _ => "5m" };
        var logLevel = new EnumOption<LogLevel>("--log-level", [], LogLevels, "Lowest level of filter and proxy logs shown.", LogLevel.Information);
        var tcp = new Option<string?>("--tcp") { Description = "Proxy TCP instead of HTTP: LISTEN=UPSTREAM, for example 127.0.0.1:7000=127.0.0.1:6379 (LISTEN port 0 lets the kernel choose); the filters run as network filters (proxy_on_downstream_data...)." };
        var tcpIdleTimeout = new Option<string?>("--tcp-idle-timeout") { Description = "With --tcp: close a connection that passed no bytes either way for this long, like tcp_proxy's idle_timeout: 30s, 10m, 1h (default), 0 for none." };
        var tcpMaxConnections = new Option<int?>("--tcp-max-connections") { Description = $"With --tcp: most connections open at once (default {TcpProxyOptions.DefaultMaxConnections}); past it a new one is closed as it arrives. Each takes two file descriptors." };
        var service = new Option<string?>("--service") { Description = "Also run a Wasm service (Envoy's envoy.bootstrap.wasm, singleton) outside any stream, for example a shared-queue consumer: an image or a .wasm file." };
        var serviceRootId = new Option<string?>("--service-root-id") { Description = "Root id of the --service; defaults to its image's first root id." };
        var serviceConfig = new Option<string?>("--service-config") { Description = "Plugin configuration of the --service." };
        var serviceVmId = new Option<string?>("--service-vm-id") { Description = "VM id of the --service (filters find its queues with proxy_resolve_shared_queue(VM_ID, NAME)); defaults to its name." };
        var verification = new Signing.VerificationOptions();
        Arguments.Add(filters);
        foreach (var option in new Option[] { upstream, echo, h2c, acceptHttp10, listen, admin, config, configFile, vmConfig, vmConfigFile, rootId, id, failPolicy, clusters, envoyFilter, mounts, store, bodyLimit, idleTimeout, logLevel, tcp, tcpIdleTimeout, tcpMaxConnections, service, serviceRootId, serviceConfig, serviceVmId })
        {
            Options.Add(option);
        }

        var envoy = RunEnvoyOptions.AddTo(this);
        verification.AddTo(this, withVerifyFlag: true);
        var output = AddOutputOption();
        Example("Run a stored image in front of a service on port 9000", "wasme run ghcr.io/acme/add-header:v1 --upstream http://127.0.0.1:9000 --config world");
        Example("Try a .wasm file against the built-in echo server; then, in another shell, curl -i http://127.0.0.1:8080/ shows what the filter did", "wasme run filter.wasm --echo-upstream --listen 127.0.0.1:8080");
        Example("Run the Wasm filters of an EnvoyFilter from the cluster, with its file paths mapped", "wasme run --envoy-filter envoyfilter.yaml --mount ./modules:/var/local/lib/wasme-cache --upstream http://127.0.0.1:9000");
        Example("Run a network (TCP) filter in front of Redis", "wasme run tcp-filter.wasm --tcp 127.0.0.1:7000=127.0.0.1:6379");
        Example("Put a filter in front of a gRPC service (clients and service speak h2c); then grpcurl -plaintext 127.0.0.1:8080 list", "wasme run grpc-filter.wasm --h2c --upstream http://127.0.0.1:50051 --listen 127.0.0.1:8080");
        Example("Run only if the image is signed by this key (exit 6 otherwise)", "wasme run ghcr.io/acme/add-header:v1 --key cosign.pub --echo-upstream");
        Example("Listen on ports the kernel chooses and print them as one JSON line once bound (the banner goes to stderr)", "wasme run filter.wasm --echo-upstream --listen 127.0.0.1:0 --admin 127.0.0.1:0 -o json");
        _bind = async (parseResult, cancellationToken) =>
        {
            VerificationPolicy? policy = null;
            IReadOnlyList<SigstoreBundle> bundles = [];
            if (verification.Requested(parseResult))
            {
                policy = await verification.BuildPolicyAsync(context, parseResult, cancellationToken);
                bundles = await verification.ReadBundlesAsync(parseResult, cancellationToken);
            }

            return new RunRequest
            {
                Filters = parseResult.GetValue(filters) ?? [],
                // Strings, not FileInfo: System.CommandLine threw on an empty one when read, which wasme reported as a bug.
                EnvoyFilterFiles = [.. (parseResult.GetValue(envoyFilter) ?? []).Select(f => new FileInfo(PathArguments.Full(f, "--envoy-filter", "envoyfilter.yaml")))],
                Mounts = parseResult.GetValue(mounts) ?? [],
                Upstream = parseResult.GetValue(upstream),
                EchoUpstream = parseResult.GetValue(echo),
                Listen = parseResult.GetValue(listen)!,
                Admin = parseResult.GetValue(admin),
                Config = parseResult.GetValue(config),
                ConfigFile = parseResult.GetValue(configFile),
                VmConfig = parseResult.GetValue(vmConfig),
                VmConfigFile = parseResult.GetValue(vmConfigFile),
                RootId = parseResult.GetValue(rootId),
                Id = parseResult.GetValue(id),
                FailPolicy = failPolicy.ValueOf(parseResult),
                FailPolicyGiven = parseResult.GetResult(failPolicy) is { Implicit: false },
                Clusters = parseResult.GetValue(clusters) ?? [],
                Store = parseResult.GetValue(store),
                BodyBufferLimit = parseResult.GetValue(bodyLimit),
                H2c = parseResult.GetValue(h2c),
                AcceptHttp10 = parseResult.GetValue(acceptHttp10),
                StreamIdleTimeout = parseResult.GetValue(idleTimeout)!,
                LogLevel = logLevel.ValueOf(parseResult),
                Envoy = envoy.Read(parseResult),
                Tcp = parseResult.GetValue(tcp),
                TcpIdleTimeout = parseResult.GetValue(tcpIdleTimeout),
                TcpMaxConnections = parseResult.GetValue(tcpMaxConnections),
                ListenGiven = parseResult.GetResult(listen) is { Implicit: false },
                Service = parseResult.GetValue(service),
                ServiceRootId = parseResult.GetValue(serviceRootId),
                ServiceConfig = parseResult.GetValue(serviceConfig),
                ServiceVmId = parseResult.GetValue(serviceVmId),
                Verification = policy,
                Bundles = bundles,
                Output = output.ValueOf(parseResult),
            };
        };
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken) =>
        await new RunSession(Context, await _bind(parseResult, cancellationToken)).RunAsync(cancellationToken);
}

/// <summary>The parsed command line of <c>wasme run</c>.</summary>
internal sealed record RunRequest
{
    public required IReadOnlyList<string> Filters { get; init; }
    public required IReadOnlyList<FileInfo> EnvoyFilterFiles { get; init; }
    public IReadOnlyList<string> Mounts { get; init; } = [];
    public string? Upstream { get; init; }
    public bool EchoUpstream { get; init; }
    public required string Listen { get; init; }
    public string? Admin { get; init; }
    public string? Config { get; init; }
    public FileInfo? ConfigFile { get; init; }
    public string? VmConfig { get; init; }
    public FileInfo? VmConfigFile { get; init; }
    public string? RootId { get; init; }
    public string? Id { get; init; }
    public FailurePolicy FailPolicy { get; init; } = FailurePolicy.FailClosed;
    public bool FailPolicyGiven { get; init; }
    public required IReadOnlyList<string> Clusters { get; init; }
    public string? Store { get; init; }
    public int BodyBufferLimit { get; init; } = ProxyOptions.DefaultBodyBufferLimit;
    public bool H2c { get; init; }
    public bool AcceptHttp10 { get; init; }
    public string StreamIdleTimeout { get; init; } = "5m";
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    public RunEnvoySettings Envoy { get; init; } = new();
    public string? Tcp { get; init; }
    public string? TcpIdleTimeout { get; init; }
    public int? TcpMaxConnections { get; init; }
    public bool ListenGiven { get; init; }
    public string? Service { get; init; }
    public string? ServiceRootId { get; init; }
    public string? ServiceConfig { get; init; }
    public string? ServiceVmId { get; init; }

    /// <summary>With <c>--verify</c>: every image argument must be signed as this policy requires.</summary>
    public VerificationPolicy? Verification { get; init; }

    public IReadOnlyList<SigstoreBundle> Bundles { get; init; } = [];

    /// <summary>With json or yaml, stdout gets one document naming the bound addresses and the banner goes to stderr.</summary>
    public OutputFormat Output { get; init; }
}

/// <summary>One <c>wasme run</c>: validates everything first, loads the filters, serves until cancelled.</summary>
internal sealed partial class RunSession(CliContext context, RunRequest request)
{
    private readonly List<string> _problems = [];
    private readonly List<string> _verified = [];

    /// <summary>Where the human banner goes: stdout, or stderr when stdout carries the <c>-o json|yaml</c> document.</summary>
    private IAnsiConsole Banner => request.Output.IsData() ? context.Error : context.Out;
    private SidecarMounts _mounts = SidecarMounts.None;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var options = BuildOptions();
        var configuration = await ReadConfigurationAsync("--config", request.Config, request.ConfigFile, cancellationToken);
        var vmConfiguration = await ReadConfigurationAsync("--vm-config", request.VmConfig, request.VmConfigFile, cancellationToken);
        if (options is not null)
        {
            // With --tcp the HTTP listener's settings do not apply, but network filters' http_call still reaches --cluster.
            _problems.AddRange(request.Tcp is null ? options.Validate() : options.ValidateClusters());
        }

        ValidateTcpAndService();
        ValidateFilterFlags();
        if (request.AcceptHttp10 && request.H2c)
        {
            _problems.Add("--accept-http-10 takes HTTP/1.0 clients, and --h2c listens for HTTP/2 only: drop one of them");
        }

        if (_problems.Count > 0 || options is null)
        {
            throw CommandException.Usage(_problems);
        }

        var level = request.LogLevel;
        using var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(level).AddProvider(new ConsoleLog(request.Output.IsData() ? Console.Error : Console.Out, level)));
        var runtimeOptions = new ProxyWasmRuntimeOptions { CompilationCacheDirectory = CompiledModuleCacheLocation.Resolve(context.GetEnvironmentVariable) };
        using var wasm = new WasmFilterSet(options.Clusters, loggerFactory, context.TimeProvider, runtimeOptions);

        // Kestrel's start is most of a cold start: it runs on another thread while the filters load. Nothing binds the
        // proxy's ports until every filter has started, so a filter that refuses to start still stops wasme run.
        var preparing = _tcp is null
            ? Task.Run(() => ProxyServer.PrepareAsync(options, loggerFactory, context.TimeProvider, cancellationToken), cancellationToken)
            : null;
        try
        {
            // Envoy starts bootstrap services before any listener's filters, so a filter finds their queues at start.
            await LoadServiceAsync(wasm, cancellationToken);
            await LoadFiltersAsync(wasm, options, configuration ?? [], vmConfiguration ?? [], cancellationToken);
        }
        catch when (preparing is not null)
        {
            await DiscardAsync(preparing);
            throw;
        }

        if (preparing is null)
        {
            return await ServeTcpAsync(wasm, loggerFactory, cancellationToken);
        }

        var server = await preparing;
        try
        {
            await server.ListenAsync(wasm.Factories, [wasm.MetricsSource], cancellationToken);
        }
        catch (Exception ex)
        {
            await server.DisposeAsync();
            if (ex is ProxyStartException start && ListenFailures.IsAddressInUse(start))
            {
                throw ListenFailures.Failure("wasme run", start.InnerException!, [(options.Listen.ToString(), "--listen"), .. options.Admin is { } adminAddress ? [(adminAddress.ToString(), "--admin")] : Array.Empty<(string, string)>()]);
            }

            throw;
        }

        await using (server)
        {
            foreach (var line in _verified)
            {
                Banner.WriteLine(line, Style.Plain);
            }

            WriteListening(new RunListening($"http://{server.ListenEndpoint}", server.Upstream.ToString(), server.AdminEndpoint is { } bound ? $"http://{bound}" : null));
            Banner.WriteLine($"wasme run: listening on http://{server.ListenEndpoint} -> {server.Upstream}", Style.Plain);
            foreach (var plugin in wasm.Plugins)
            {
                var compiled = plugin.Module.LoadedFromCache ? ", compiled code from cache" : string.Empty;
                Banner.WriteLine($"  filter {plugin.Name} (root id '{plugin.Configuration.RootId}', {plugin.Module.AbiVersion}, {plugin.Configuration.FailurePolicy}, {plugin.Configuration.Workers} VMs{compiled})", Style.Plain);
            }

            PrintServices(wasm);
            if (server.AdminEndpoint is { } adminEndpoint)
            {
                Banner.WriteLine($"  admin http://{adminEndpoint}/stats", Style.Plain);
            }

            if (wasm.Plugins.Count == 0)
            {
                Banner.WriteLine("  no filters: forwarding only", Style.Plain);
            }

            Banner.WriteLine("Press Ctrl+C to stop.", Style.Plain);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await server.StopAsync(grace.Token);
                Banner.WriteLine("wasme run: stopped", Style.Plain);
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>With <c>-o json|yaml</c>, the bound addresses as one document on stdout, before the banner.</summary>
    private void WriteListening(RunListening listening)
    {
        if (request.Output.IsData())
        {
            DataOutput.Write(context, request.Output, listening, RunJsonContext.Default.RunListening);
        }
    }

    /// <summary>Stops a server prepared for filters that then failed to load; the filters' error is the one to report.</summary>
    private static async Task DiscardAsync(Task<ProxyServer> preparing)
    {
        try
        {
            await (await preparing).DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Preparing failed too (cancelled, or Kestrel could not start): nothing was bound, nothing to stop.
        }
    }

    private ProxyOptions? BuildOptions()
    {
        IPEndPoint? listen = null;
        if (!EndpointParser.TryParse(request.Listen, out listen, out var listenError))
        {
            _problems.Add($"--listen: {listenError}");
        }

        IPEndPoint? admin = null;
        if (request.Admin is not null && !EndpointParser.TryParse(request.Admin, out admin, out var adminError))
        {
            _problems.Add($"--admin: {adminError}");
        }

        Uri? upstream = null;
        if (request.Upstream is not null && !Uri.TryCreate(request.Upstream, UriKind.Absolute, out upstream))
        {
            _problems.Add($"--upstream: '{request.Upstream}' is not an absolute URL (for example http://127.0.0.1:9000)");
        }

        var clusters = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var cluster in request.Clusters)
        {
            var equals = cluster.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !Uri.TryCreate(cluster[(equals + 1)..], UriKind.Absolute, out var url))
            {
                _problems.Add($"--cluster: '{cluster}' is not NAME=URL (for example auth=http://127.0.0.1:9001)");
                continue;
            }

            // Envoy refuses two clusters of one name; keeping the last would quietly send http_call elsewhere.
            if (!clusters.TryAdd(cluster[..equals], url))
            {
                _problems.Add($"--cluster: '{cluster[..equals]}' is given twice ({clusters[cluster[..equals]]} and {url}); give each name once");
            }
        }

        _problems.AddRange(request.Envoy.Problems);
        _mounts = ParseMounts();
        return listen is null ? null : new ProxyOptions
        {
            Listen = listen,
            Admin = admin,
            Upstream = upstream,
            EchoUpstream = request.EchoUpstream,
            Clusters = clusters,
            BodyBufferLimit = request.BodyBufferLimit,
            H2c = request.H2c,
            AcceptHttp10 = request.AcceptHttp10,
            StreamIdleTimeout = Durations.ParsePositive(request.StreamIdleTimeout, "--stream-idle-timeout", _problems, ProxyOptions.DefaultStreamIdleTimeout),
            Route = request.Envoy.Route,
        };
    }

    /// <summary>
    /// --config, --root-id and the like configure the filters given as arguments. With none given they would configure
    /// nothing, silently: most often a user expecting them to reach an --envoy-filter resource's filters.
    /// </summary>
    private void ValidateFilterFlags()
    {
        if (request.Filters.Count > 0)
        {
            return;
        }

        string?[] given =
        [
            request.Config is null ? null : "--config",
            request.ConfigFile is null ? null : "--config-file",
            request.VmConfig is null ? null : "--vm-config",
            request.VmConfigFile is null ? null : "--vm-config-file",
            request.RootId is null ? null : "--root-id",
            request.Id is null ? null : "--id",
            request.FailPolicyGiven ? "--fail-policy" : null,
        ];
        var flags = given.OfType<string>().ToList();
        if (flags.Count == 0)
        {
            return;
        }

        var fix = request.EnvoyFilterFiles.Count > 0
            ? "an --envoy-filter resource carries its own: set configuration, root_id, vm_config and failure_policy in its PluginConfig (pluginConfig, pluginName, vmConfig and failStrategy in a WasmPlugin)"
            : "pass the filter, for example: wasme run filter.wasm " + flags[0] + " ...";
        _problems.Add($"{string.Join(", ", flags)} configure{(flags.Count == 1 ? "s" : string.Empty)} the filters given as arguments (IMAGE_OR_FILE), and none is given; {fix}");
    }

    private SidecarMounts ParseMounts()
    {
        var mounts = new List<SidecarMount>();
        foreach (var text in request.Mounts)
        {
            if (!SidecarMount.TryParse(text, out var mount, out var error))
            {
                _problems.Add($"--mount: {error}");
            }
            else if (!Directory.Exists(mount!.HostDirectory))
            {
                _problems.Add($"--mount: host directory {Path.GetFullPath(mount.HostDirectory)} does not exist");
            }
            else
            {
                mounts.Add(mount with { HostDirectory = Path.GetFullPath(mount.HostDirectory) });
            }
        }

        if (mounts.Count > 0 && request.EnvoyFilterFiles.Count == 0)
        {
            _problems.Add("--mount maps paths in --envoy-filter resources; pass the EnvoyFilter or WasmPlugin file with --envoy-filter");
        }

        return new SidecarMounts(mounts);
    }

    private async Task<byte[]?> ReadConfigurationAsync(string flag, string? text, FileInfo? file, CancellationToken cancellationToken)
    {
        if (text is not null && file is not null)
        {
            _problems.Add($"{flag} and {flag}-file are exclusive: pass one of them");
            return null;
        }

        if (file is not null)
        {
            return await FlagFile.ReadAsync($"{flag}-file", file, cancellationToken);
        }

        return text is null ? null : Encoding.UTF8.GetBytes(text);
    }

    private async Task LoadFiltersAsync(WasmFilterSet wasm, ProxyOptions options, byte[] configuration, byte[] vmConfiguration, CancellationToken cancellationToken)
    {
        var policy = request.FailPolicy;
        LocalImageStore OpenStore() => new(LocalImageStore.ResolveRoot(request.Store, context.GetEnvironmentVariable), context.TimeProvider);
        // WasmPlugin oci:// images are pulled with the saved credentials (wasme login / docker login).
        RegistryClient CreateRegistryClient() => new(new RegistryClientOptions(), DockerConfigCredentialProvider.FromEnvironment(context.GetEnvironmentVariable), timeProvider: context.TimeProvider);
        Func<ImageReference, Digest, CancellationToken, Task>? verify = null;
        if (request.Verification is { } verification)
        {
            // Signatures live in the registry: each stored image is checked against its repository there, by the digest stored.
            verify = async (reference, digest, token) =>
            {
                using var client = CreateRegistryClient();
                var result = await Signing.VerificationOptions.VerifyOrThrowAsync(client, reference, digest, verification, request.Bundles, token);
                // Said once the filters serve: a run refused after the signature held (a root id, a module that does not
                // start, a port in use) would otherwise print "Verified" right before its error.
                _verified.Add($"Verified {Signing.VerificationOptions.Describe(reference, digest)}: signed by {result.Signer}");
            };
        }

        var resolver = new RunFilterResolver(OpenStore, verify);
        foreach (var argument in request.Filters)
        {
            var source = await resolver.ResolveAsync(argument, cancellationToken);
            var rootId = request.RootId ?? (source.RootIds.Count > 0 ? source.RootIds[0] : string.Empty);
            // The empty root id is the C++ SDK's default, which Envoy accepts whatever the image declares.
            if (request.RootId is { Length: > 0 } && source.RootIds.Count > 0 && !source.RootIds.Contains(request.RootId))
            {
                throw new OciUsageException($"--root-id '{request.RootId}' is not a root id of {source.Origin} (it has: {string.Join(", ", source.RootIds)})");
            }

            try
            {
                AddToChain(wasm, source.Module, new PluginConfiguration
                {
                    Name = request.Id ?? source.Name,
                    RootId = rootId,
                    VmId = request.Id ?? source.Name,
                    Configuration = configuration,
                    VmConfiguration = vmConfiguration,
                    FailurePolicy = policy,
                    Workers = request.Envoy.Workers,
                    NodeProperties = request.Envoy.NodeFor(),
                });
            }
            catch (ProxyWasmException ex) when (WasmFailures.IsRootContextFailure(ex.Message))
            {
                // The backtrace says nothing a user can act on; the root id is the usual cause and --root-id the fix.
                var declared = source.RootIds.Count > 0
                    ? $"it declares: {string.Join(", ", source.RootIds)}"
                    : "it declares none: no runtime-config.json beside the file or in the image";
                throw new ProxyWasmException(
                    $"{source.Origin} did not start {(rootId.Length == 0 ? "with no root id" : $"root id '{rootId}'")} ({WasmFailures.Reason(ex.Message)}); pass --root-id with a root id the module registers ({declared})", ex);
            }
        }

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var fetcher = new WasmCodeFetcher(http, options.Clusters, new StoreOciModuleResolver(OpenStore, CreateRegistryClient), WasmCodeFetcher.DefaultMaxModuleBytes, _mounts);
        foreach (var file in request.EnvoyFilterFiles)
        {
            var yaml = await FlagFile.ReadTextAsync("--envoy-filter", file, cancellationToken);
            foreach (var definition in IstioResourceReader.Read(yaml, file.Name).OrderBy(d => d.Kind == WasmFilterKind.Service ? 0 : 1))
            {
                var module = await fetcher.FetchAsync(definition, cancellationToken);
                AddDefinition(wasm, definition, module, new PluginConfiguration
                {
                    Name = definition.Name,
                    RootId = definition.RootId,
                    VmId = definition.VmId,
                    Configuration = Encoding.UTF8.GetBytes(definition.Configuration),
                    VmConfiguration = Encoding.UTF8.GetBytes(definition.VmConfiguration),
                    Environment = EnvironmentOf(definition),
                    FailurePolicy = definition.FailurePolicy,
                    Workers = request.Envoy.Workers,
                    NodeProperties = request.Envoy.NodeFor(definition.NodeProperties),
                });
            }
        }
    }

    /// <summary>The filter's environment: inline values, plus host keys read from wasme's own environment when set there.</summary>
    private Dictionary<string, string> EnvironmentOf(WasmFilterDefinition definition)
    {
        var environment = new Dictionary<string, string>(definition.Environment, StringComparer.Ordinal);
        foreach (var key in definition.HostEnvironmentKeys)
        {
            if (context.GetEnvironmentVariable(key) is { } value)
            {
                environment[key] = value;
            }
        }

        return environment;
    }
}
