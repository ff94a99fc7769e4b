using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Wasme.Cli.Infrastructure;
using Wasme.Oci.Errors;
using Wasme.Oci.Store;
using Wasme.Proxy.Hosting;
using Wasme.Proxy.Istio;
using Wasme.Proxy.Tcp;
using Wasme.Proxy.Wasm;
using Wasme.ProxyWasm;

namespace Wasme.Cli.Commands.Run;

/// <summary><c>wasme run --tcp</c> (network filters in front of a TCP upstream) and <c>--service</c> (a Wasm service).</summary>
internal sealed partial class RunSession
{
    private TcpProxyOptions? _tcp;

    private void ValidateTcpAndService()
    {
        if (request.Service is null && (request.ServiceRootId ?? request.ServiceConfig ?? request.ServiceVmId) is not null)
        {
            _problems.Add("--service-root-id, --service-config and --service-vm-id configure a --service: pass --service IMAGE_OR_FILE");
        }

        if (request.Tcp is null)
        {
            if (request.TcpIdleTimeout is not null || request.TcpMaxConnections is not null)
            {
                _problems.Add("--tcp-idle-timeout and --tcp-max-connections bound --tcp connections: pass --tcp LISTEN=UPSTREAM, or drop them");
            }

            return;
        }

        if (!TcpProxyOptions.TryParse(request.Tcp, out _tcp, out var error))
        {
            _problems.Add($"--tcp: {error}");
        }
        else
        {
            _tcp = ApplyTcpLimits(_tcp);
        }

        if (request.Upstream is not null || request.EchoUpstream)
        {
            _problems.Add("--tcp names its own upstream (LISTEN=UPSTREAM): drop --upstream and --echo-upstream, which are for HTTP");
        }

        if (request.ListenGiven)
        {
            _problems.Add("--tcp names its own listen address (LISTEN=UPSTREAM): drop --listen, which is for HTTP");
        }

        if (request.AcceptHttp10)
        {
            _problems.Add("--accept-http-10 is for HTTP listeners: drop it with --tcp");
        }

        if (request.Admin is not null)
        {
            _problems.Add("--admin is not available with --tcp yet: drop it (filter logs show on the console)");
        }
    }

    private TcpProxyOptions ApplyTcpLimits(TcpProxyOptions options)
    {
        if (request.TcpIdleTimeout is { } text)
        {
            if (Durations.TryParse(text, out var idle))
            {
                options = options with { IdleTimeout = idle };
            }
            else
            {
                _problems.Add($"--tcp-idle-timeout '{text}' is not a duration; use a number with s, m, h or d (e.g. 1h), or 0 for none");
            }
        }

        if (request.TcpMaxConnections is { } max)
        {
            options = options with { MaxConnections = max };
        }

        _problems.AddRange(options.Validate());
        return options;
    }

    /// <summary>Positional filters join the HTTP chain, or the network chain with --tcp.</summary>
    private void AddToChain(WasmFilterSet wasm, byte[] module, PluginConfiguration configuration)
    {
        if (request.Tcp is null)
        {
            wasm.Add(module, configuration);
        }
        else
        {
            wasm.AddNetwork(module, configuration);
        }
    }

    /// <summary>A filter from --envoy-filter goes where its resource puts it: HTTP chain, network chain, or services.</summary>
    private void AddDefinition(WasmFilterSet wasm, WasmFilterDefinition definition, byte[] module, PluginConfiguration configuration)
    {
        switch (definition.Kind)
        {
            case WasmFilterKind.Service:
                wasm.AddService(module, configuration with { Workers = definition.Singleton ? 1 : configuration.Workers });
                break;
            case WasmFilterKind.Network when request.Tcp is null:
                throw new IstioResourceException($"{definition.Origin}: '{definition.Name}' is a network (TCP) filter; pass --tcp LISTEN=UPSTREAM to run it");
            case WasmFilterKind.Network:
                wasm.AddNetwork(module, configuration);
                break;
            case WasmFilterKind.Http when request.Tcp is not null:
                throw new IstioResourceException($"{definition.Origin}: '{definition.Name}' is an HTTP filter, and --tcp runs network filters only; drop --tcp to run it");
            default:
                wasm.Add(module, configuration);
                break;
        }
    }

    private async Task LoadServiceAsync(WasmFilterSet wasm, CancellationToken cancellationToken)
    {
        if (request.Service is null)
        {
            return;
        }

        var resolver = new RunFilterResolver(() => new LocalImageStore(LocalImageStore.ResolveRoot(request.Store, context.GetEnvironmentVariable), context.TimeProvider));
        var source = await resolver.ResolveAsync(request.Service, cancellationToken);
        if (request.ServiceRootId is { Length: > 0 } && source.RootIds.Count > 0 && !source.RootIds.Contains(request.ServiceRootId))
        {
            throw new OciUsageException($"--service-root-id '{request.ServiceRootId}' is not a root id of {source.Origin} (it has: {string.Join(", ", source.RootIds)})");
        }

        // Envoy's bootstrap service with singleton: true: one VM for the whole proxy.
        wasm.AddService(source.Module, new PluginConfiguration
        {
            Name = source.Name,
            RootId = request.ServiceRootId ?? (source.RootIds.Count > 0 ? source.RootIds[0] : string.Empty),
            VmId = request.ServiceVmId ?? source.Name,
            Configuration = request.ServiceConfig is null ? default : Encoding.UTF8.GetBytes(request.ServiceConfig),
            Workers = 1,
        });
    }

    private void PrintServices(WasmFilterSet wasm)
    {
        foreach (var service in wasm.Services)
        {
            Banner.WriteLine($"  service {service.Name} (root id '{service.Configuration.RootId}', vm id '{service.Configuration.VmId}', {service.Configuration.Workers} VM{(service.Configuration.Workers == 1 ? "" : "s")})", Style.Plain);
        }
    }

    private async Task<int> ServeTcpAsync(WasmFilterSet wasm, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        TcpProxyServer server;
        try
        {
            server = TcpProxyServer.Start(_tcp!, wasm.NetworkPlugins, loggerFactory, context.TimeProvider);
        }
        catch (ProxyStartException ex) when (ListenFailures.IsAddressInUse(ex))
        {
            throw new CommandException(ExitCodes.Failure, $"wasme run: cannot listen on {_tcp!.Listen} (--tcp): address already in use; choose another port");
        }

        await using (server)
        {
            foreach (var line in _verified)
            {
                Banner.WriteLine(line, Style.Plain);
            }

            WriteListening(new RunListening($"tcp://{server.ListenEndpoint}", $"tcp://{Describe(server.Upstream)}"));
            Banner.WriteLine($"wasme run: listening on tcp://{server.ListenEndpoint} -> {Describe(server.Upstream)}", Style.Plain);
            foreach (var plugin in wasm.NetworkPlugins)
            {
                Banner.WriteLine($"  network filter {plugin.Name} (root id '{plugin.Configuration.RootId}', {plugin.Module.AbiVersion}, {plugin.Configuration.FailurePolicy})", Style.Plain);
            }

            PrintServices(wasm);
            if (wasm.NetworkPlugins.Count == 0)
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
                Banner.WriteLine("wasme run: stopped", Style.Plain);
            }
        }

        return ExitCodes.Success;
    }

    private static string Describe(EndPoint endpoint) => endpoint is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : endpoint.ToString() ?? "?";
}
