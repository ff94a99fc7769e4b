using Wasme.ProxyWasm.Abi;
using Wasme.ProxyWasm.Grpc;
using Wasme.ProxyWasm.Vm;
using Wasme.ProxyWasm.Binding;
using Wasmtime;
using static Wasme.ProxyWasm.HostFunctions.HostContext;

namespace Wasme.ProxyWasm.HostFunctions;

/// <summary>
/// <c>proxy_grpc_call</c>, <c>proxy_grpc_stream</c>, <c>proxy_grpc_send</c>, <c>proxy_grpc_cancel</c> and
/// <c>proxy_grpc_close</c> with Envoy's results (<c>source/extensions/common/wasm/context.cc</c>): an unknown plain
/// cluster name is PARSE_FAILURE, a GrpcService naming no Envoy cluster is BAD_ARGUMENT, one naming an unknown
/// cluster is INTERNAL_FAILURE ("Cluster not available"), an id of the wrong kind is BAD_ARGUMENT and an unknown one
/// NOT_FOUND. Calls act on the VM, whatever the effective context, and answers go to the root context.
/// </summary>
internal static class GrpcFunctions
{
    public static void Define(NativeLinker linker, Module module, HashSet<(string, string)> defined)
    {
        // Spec: 12 and 9 parameters. AssemblyScript proxy-runtime: 10 and 7 (no initial metadata). Match the import.
        var callParameters = ImportedParameters(module, "proxy_grpc_call", 12);
        var streamParameters = ImportedParameters(module, "proxy_grpc_stream", 9);
        DefineVariadic(linker, "proxy_grpc_call", callParameters, (vm, args) => Open(vm, args, hasMetadata: callParameters == 12, stream: false));
        DefineVariadic(linker, "proxy_grpc_stream", streamParameters, (vm, args) => Open(vm, args, hasMetadata: streamParameters == 9, stream: true));
        linker.Define("env", "proxy_grpc_send", new HostFunction<ProxyWasmVm, int, int, int, int>(ProxyGrpcSend));
        linker.Define("env", "proxy_grpc_cancel", new HostFunction<ProxyWasmVm, int>(ProxyGrpcCancel));
        linker.Define("env", "proxy_grpc_close", new HostFunction<ProxyWasmVm, int>(ProxyGrpcClose));
        foreach (var name in (string[])["proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_send", "proxy_grpc_cancel", "proxy_grpc_close"])
        {
            defined.Add(("env", name));
        }
    }

    public static int ProxyGrpcSend(ProxyWasmVm vm, int token, int messagePointer, int messageSize, int endOfStream)
    {
        if (!Enter(vm))
        {
            return InternalFailure;
        }

        if (!vm.TryGetSpan(messagePointer, messageSize, out var message))
        {
            return InvalidMemoryAccess;
        }

        if (!ProxyWasmVm.IsGrpcStreamId(token))
        {
            return BadArgument;
        }

        if (!vm.TryGetGrpc(token, out var state))
        {
            return NotFound;
        }

        vm.SendGrpc(state, message.ToArray(), endOfStream != 0);
        return Ok;
    }

    public static int ProxyGrpcCancel(ProxyWasmVm vm, int token) => Finish(vm, token, static (vm, state) => vm.CancelGrpc(state));

    public static int ProxyGrpcClose(ProxyWasmVm vm, int token) => Finish(vm, token, static (vm, state) => vm.CloseGrpc(state));

    private static int Finish(ProxyWasmVm vm, int token, Action<ProxyWasmVm, GrpcCallState> finish, [System.Runtime.CompilerServices.CallerMemberName] string function = "")
    {
        if (!Enter(vm, function))
        {
            return InternalFailure;
        }

        if (!ProxyWasmVm.IsGrpcCallId(token) && !ProxyWasmVm.IsGrpcStreamId(token))
        {
            return BadArgument;
        }

        if (!vm.TryGetGrpc(token, out var state))
        {
            return NotFound;
        }

        finish(vm, state);
        return Ok;
    }

    private static int Open(ProxyWasmVm vm, ReadOnlySpan<RawValue> args, bool hasMetadata, bool stream)
    {
        var function = stream ? "proxy_grpc_stream" : "proxy_grpc_call";
        if (!Enter(vm, function))
        {
            return InternalFailure;
        }

        var next = hasMetadata ? 8 : 6;
        var (metadataPointer, metadataSize) = hasMetadata ? (args[6].I32, args[7].I32) : (0, 0);
        var (messagePointer, messageSize) = stream ? (0, 0) : (args[next].I32, args[next + 1].I32);
        var timeoutMilliseconds = stream ? 0 : args[next + 2].I32;
        var returnToken = args[stream ? next : next + 3].I32;
        if (!vm.TryGetSpan(args[0].I32, args[1].I32, out var upstream)
            || !vm.TryReadString(args[2].I32, args[3].I32, out var service)
            || !vm.TryReadString(args[4].I32, args[5].I32, out var method)
            || !vm.TryGetSpan(metadataPointer, metadataSize, out var serializedMetadata)
            || !vm.TryGetSpan(messagePointer, messageSize, out var message)
            || !vm.TryGetSpan(returnToken, 4, out _))
        {
            return InvalidMemoryAccess;
        }

        var limits = vm.Config.Limits;
        var metadata = new HeaderMap();
        if (!PairsCodec.TryParse(serializedMetadata, limits.MaxPairsBytes, limits.MaxPairsCount, metadata)
            || !HeaderValidation.AllAllowed(vm, function, metadata))
        {
            return BadArgument;
        }

        var target = GrpcServiceTarget.Read(upstream);
        var dispatcher = vm.GrpcCalls;
        if (!target.IsServiceMessage)
        {
            if (dispatcher is null || !dispatcher.HasGrpcCluster(target.Cluster!))
            {
                return ParseFailure;
            }
        }
        else if (string.IsNullOrEmpty(target.Cluster))
        {
            var reason = target.HasGoogleGrpc ? "google_grpc, Envoy's direct client, is not offered; use envoy_grpc with --cluster NAME=URL" : "it names no envoy_grpc cluster";
            Log.GrpcServiceRefused(vm.Logger, vm.Config.Name, function, reason, "BAD_ARGUMENT");
            return BadArgument;
        }
        else if (dispatcher is null || !dispatcher.HasGrpcCluster(target.Cluster))
        {
            return InternalFailure;
        }

        // The GrpcService's own initial_metadata goes first, as Envoy's client adds it before the call's.
        var initialMetadata = new HeaderMap(target.InitialMetadata.Count + metadata.Count);
        foreach (var (name, value) in target.InitialMetadata)
        {
            initialMetadata.Add(name, value);
        }

        foreach (var (name, value) in metadata)
        {
            initialMetadata.AddLowered(name, value);
        }

        if (!vm.CanOpenGrpc())
        {
            return InternalFailure;
        }

        var timeout = timeoutMilliseconds == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds((uint)timeoutMilliseconds);
        var request = new GrpcCallRequest(target.Cluster!, target.Authority is { Length: > 0 } authority ? authority : target.Cluster!, service, method, initialMetadata, timeout);
        var token = vm.StartGrpc(request, stream ? null : (ReadOnlyMemory<byte>?)message.ToArray());
        vm.TryWriteUInt32(returnToken, (uint)token);
        return Ok;
    }

    private static int ImportedParameters(Module module, string function, int specParameters)
    {
        foreach (var import in module.Imports)
        {
            if (import is FunctionImport imported && imported.ModuleName == "env" && imported.Name == function)
            {
                return imported.Parameters.Count;
            }
        }

        return specParameters;
    }

    private static void DefineVariadic(NativeLinker linker, string function, int parameters, Func<ProxyWasmVm, ReadOnlySpan<RawValue>, long> handler)
    {
        var kinds = new Binding.ValueType[parameters];
        Array.Fill(kinds, Binding.ValueType.I32);
        linker.Define("env", function, new RawHostFunction<ProxyWasmVm>(kinds, [Binding.ValueType.I32], handler));
    }
}
