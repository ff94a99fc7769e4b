using System.Net;
using System.Text;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Wasme.Proxy.Tests.Infrastructure;

/// <summary>
/// A real Kestrel gRPC service (h2c) with methods bound by hand over raw bytes, as a filter's gRPC upstream:
/// <c>test.Echo/Say</c> answers "token|authority|x-from-service|request", <c>Fail</c> refuses with PERMISSION_DENIED,
/// <c>Empty</c> ends OK without a message, <c>Hang</c> and <c>ChatHang</c> wait until the caller gives up, and
/// <c>Chat</c> answers each message of a stream with "chat:message".
/// </summary>
public sealed class GrpcEchoServer : IAsyncDisposable
{
    public const string FailMessage = "no entry: 50% off ✓";

    private readonly WebApplication _app;

    private GrpcEchoServer(WebApplication app, EchoService service, Uri url)
    {
        _app = app;
        Service = service;
        Url = url;
    }

    public EchoService Service { get; }

    public Uri Url { get; }

    public static async Task<GrpcEchoServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var service = new EchoService();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<EchoService>, EchoMethods>());
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GrpcEchoServer(app, service, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed class EchoService
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when a hanging call reached the service.</summary>
        public Task Started => _started.Task;

        /// <summary>Completes when a hanging call saw its caller reset it.</summary>
        public Task Cancelled => _cancelled.Task;

        internal async Task Hang(ServerCallContext context)
        {
            _started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            finally
            {
                _cancelled.TrySetResult();
            }
        }
    }

    private sealed class EchoMethods : IServiceMethodProvider<EchoService>
    {
        private static readonly Marshaller<byte[]> s_bytes = Marshallers.Create(static b => b, static b => b);

        private static Method<byte[], byte[]> Unary(string name) => new(MethodType.Unary, "test.Echo", name, s_bytes, s_bytes);

        private static Method<byte[], byte[]> Duplex(string name) => new(MethodType.DuplexStreaming, "test.Echo", name, s_bytes, s_bytes);

        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<EchoService> context)
        {
            context.AddUnaryMethod(Unary("Say"), [], static async (_, request, call) =>
            {
                await call.WriteResponseHeadersAsync(new Metadata { { "x-served-by", "kestrel" } });
                call.ResponseTrailers.Add("x-trailer", "t1");
                var token = call.RequestHeaders.GetValue("x-token") ?? "-";
                var fromService = call.RequestHeaders.GetValue("x-from-service") ?? "-";
                return Encoding.UTF8.GetBytes($"{token}|{call.GetHttpContext().Request.Host}|{fromService}|{Encoding.UTF8.GetString(request)}");
            });
            context.AddUnaryMethod(Unary("Fail"), [], static (_, _, _) => throw new RpcException(new Status(StatusCode.PermissionDenied, FailMessage)));
            context.AddUnaryMethod(Unary("Hang"), [], static async (service, _, call) =>
            {
                await service.Hang(call);
                return [];
            });
            context.AddDuplexStreamingMethod(Duplex("Empty"), [], static (_, _, _, _) => Task.CompletedTask);
            context.AddDuplexStreamingMethod(Duplex("Chat"), [], static async (_, requests, responses, call) =>
            {
                await call.WriteResponseHeadersAsync(new Metadata { { "x-served-by", "kestrel" } });
                await foreach (var message in requests.ReadAllAsync(call.CancellationToken))
                {
                    await responses.WriteAsync([.. "chat:"u8, .. message]);
                }

                call.ResponseTrailers.Add("x-trailer", "t2");
            });
            context.AddDuplexStreamingMethod(Duplex("ChatHang"), [], static (service, _, _, call) => service.Hang(call));
        }
    }
}
