using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>
/// A registry reached over TLS that sends wasme on to plain HTTP (a redirect, an upload location): nothing is sent
/// there. A manifest fetched by tag has no digest to check it against, so over plain HTTP anyone between could swap it.
/// The registry's answers come from a handler standing in for the network, as no TLS registry runs in the tests.
/// </summary>
public sealed class TlsDowngradeTests
{
    private const string Registry = "registry.example";
    private static readonly PackedImage Image = ImagePacker.Pack(TestWasmModule.Create(2048, seed: 71), RuntimeConfig.Create(["v0.2.1"], ["root"]), WasmImageFormat.Wasme);

    [Theory]
    [InlineData("manifests", "http://registry.example/v2/team/filter/manifests/v1")]
    [InlineData("manifests", "http://mirror.example:8080/team/filter/manifest")]
    [InlineData("blobs", "http://storage.example/{last}?X-Amz-Signature=abc")]
    public async Task A_redirect_from_https_to_plain_http_is_refused_and_nothing_is_sent_there(string redirected, string target)
    {
        var network = new Network(request =>
        {
            var path = request.RequestUri!.AbsolutePath;
            if (request.RequestUri.Scheme == "https" && path.Contains($"/{redirected}/", StringComparison.Ordinal))
            {
                var redirect = new HttpResponseMessage(HttpStatusCode.Found);
                redirect.Headers.Location = new Uri(target.Replace("{last}", path[(path.LastIndexOf('/') + 1)..], StringComparison.Ordinal));
                return redirect;
            }

            return Serve(request);
        });
        using var store = new TestStore();
        using var client = new RegistryClient(new RegistryClientOptions { RetryBaseDelay = TimeSpan.Zero }, new StaticCredentialProvider(new RegistryCredential("alice", "secret")), handler: network);

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{Registry}/team/filter:v1"), store.Store));

        Assert.StartsWith($"Registry {Registry} redirected from HTTPS to plain HTTP at {new Uri(target.Replace("{last}", "x", StringComparison.Ordinal)).GetLeftPart(UriPartial.Authority)}; refused", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Amz-Signature", error.Message, StringComparison.Ordinal);
        Assert.All(network.Requests, r => Assert.Equal("https", r.Scheme));
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task An_upload_location_on_plain_http_from_a_registry_reached_over_https_gets_no_content()
    {
        var network = new Network(request =>
        {
            if (request.Method == HttpMethod.Head)
            {
                return new HttpResponseMessage(HttpStatusCode.NotFound);
            }

            if (request.Method == HttpMethod.Post)
            {
                var started = new HttpResponseMessage(HttpStatusCode.Accepted);
                started.Headers.Location = new Uri($"http://{Registry}/v2/team/filter/blobs/uploads/session-1");
                return started;
            }

            return new HttpResponseMessage(HttpStatusCode.Created);
        });
        using var client = new RegistryClient(new RegistryClientOptions { RetryBaseDelay = TimeSpan.Zero }, AnonymousCredentialProvider.Instance, handler: network);
        var (digest, layer) = Image.Blobs.First();

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => client.PushBlobAsync(ImageReference.Parse($"{Registry}/team/filter:v1"), digest, layer));

        Assert.StartsWith($"Registry {Registry} answered over HTTPS with an upload location on plain HTTP at http://{Registry}; refused", error.Message, StringComparison.Ordinal);
        Assert.All(network.Requests, r => Assert.Equal("https", r.Scheme));
    }

    /// <summary>Serves <see cref="Image"/> over any scheme.</summary>
    private static HttpResponseMessage Serve(HttpRequestMessage request)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (path.Contains("/manifests/", StringComparison.Ordinal) || path.EndsWith("/manifest", StringComparison.Ordinal))
        {
            var manifest = new ByteArrayContent(Image.ManifestBytes.ToArray());
            manifest.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = manifest };
        }

        foreach (var (digest, blob) in Image.Blobs)
        {
            if (path.EndsWith(digest.ToString(), StringComparison.Ordinal))
            {
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(blob.ToArray()) };
            }
        }

        return new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    /// <summary>Answers every request in process and records where it went.</summary>
    private sealed class Network(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public ConcurrentQueue<Uri> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue(request.RequestUri!);
            var response = answer(request);
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }
}
