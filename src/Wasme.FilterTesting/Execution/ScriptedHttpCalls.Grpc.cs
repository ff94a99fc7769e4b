using Wasme.ProxyWasm;

namespace Wasme.FilterTesting.Execution;

/// <summary>The host takes gRPC calls from the same dispatcher as http_calls; these go to <see cref="Grpc"/>.</summary>
internal sealed partial class ScriptedHttpCalls : IGrpcCallDispatcher
{
    public ScriptedGrpcCalls? Grpc { get; init; }

    public bool HasGrpcCluster(string cluster) => Grpc?.HasGrpcCluster(cluster) ?? false;

    public IGrpcCall StartGrpcCall(GrpcCallRequest request)
        => Grpc?.StartGrpcCall(request) ?? throw new InvalidOperationException("no gRPC answers were given");
}
