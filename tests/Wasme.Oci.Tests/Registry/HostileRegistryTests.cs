using System.Text;
using Microsoft.AspNetCore.Http;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Oci.Transfer;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>Registries that lie, fail or redirect: wasme must refuse, keep the store unchanged, and keep credentials home.</summary>
public sealed class HostileRegistryTests
{
    private static readonly PackedImage Image = ImagePacker.Pack(TestWasmModule.Create(2048, seed: 5), RuntimeConfig.Create(["v0.2.1"], ["root"]), WasmImageFormat.Wasme);
    private static readonly RegistryCredential Secret = new("alice", "very-secret-password");

    private static RegistryClient Client(ICredentialProvider? credentials = null) =>
        new(new RegistryClientOptions { RetryBaseDelay = TimeSpan.Zero }, credentials ?? AnonymousCredentialProvider.Instance);

    /// <summary>Serves <see cref="Image"/> under repo "evil/filter:v1", letting the test alter blobs or the manifest.</summary>
    private static Func<HttpContext, Task> Serve(Func<byte[], byte[]>? blob = null, Func<byte[], byte[]>? manifest = null, bool announceRealDigest = true) => async context =>
    {
        var path = context.Request.Path.Value!;
        if (path.StartsWith("/v2/evil/filter/manifests/", StringComparison.Ordinal))
        {
            var bytes = (manifest ?? (b => b))(Image.ManifestBytes.ToArray());
            context.Response.ContentType = MediaTypes.OciManifest;
            if (announceRealDigest)
            {
                context.Response.Headers["Docker-Content-Digest"] = Image.ManifestDigest.ToString();
            }

            await context.Response.Body.WriteAsync(bytes);
            return;
        }

        const string blobs = "/v2/evil/filter/blobs/";
        if (path.StartsWith(blobs, StringComparison.Ordinal) && Digest.TryParse(path[blobs.Length..], out var digest) && Image.Blobs.TryGetValue(digest, out var content))
        {
            var bytes = (blob ?? (b => b))(content.ToArray());
            await context.Response.Body.WriteAsync(bytes);
            return;
        }

        context.Response.StatusCode = 404;
    };

    [Fact]
    public async Task A_tampered_blob_is_an_integrity_error_and_the_store_is_unchanged()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Serve(blob: b =>
        {
            b[^1] ^= 0xff;
            return b;
        }));
        using var store = new TestStore();
        await store.Store.AddAsync(ImageReference.Parse("example.com/kept/image:v1"), TestWasmModule.Create(), RuntimeConfig.Create([], ["x"]));
        var before = store.Snapshot();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains("does not match its digest", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, store.Snapshot());
    }

    [Fact]
    public async Task A_blob_missing_from_the_registry_fails_the_pull_as_not_found_and_stops_the_download_still_under_way()
    {
        var config = Image.Manifest.Config.GetDigest().ToString();
        var module = Image.Manifest.Layers[^1].GetDigest().ToString();
        var moduleUnderWay = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var moduleAbandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serve = Serve();
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            var path = context.Request.Path.Value!;
            if (path.EndsWith(config, StringComparison.Ordinal))
            {
                // Fail only once the module's download has begun, so the two overlap.
                await moduleUnderWay.Task.WaitAsync(TimeSpan.FromSeconds(10));
                context.Response.StatusCode = 404;
                return;
            }

            if (path.EndsWith(module, StringComparison.Ordinal))
            {
                var bytes = Image.Blobs[Image.Manifest.Layers[^1].GetDigest()].ToArray();
                context.Response.ContentLength = bytes.Length;
                await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await context.Response.Body.FlushAsync();
                moduleUnderWay.TrySetResult();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    moduleAbandoned.TrySetResult();
                }

                return;
            }

            await serve(context);
        });
        using var store = new TestStore();
        await store.Store.AddAsync(ImageReference.Parse("example.com/kept/image:v1"), TestWasmModule.Create(), RuntimeConfig.Create([], ["x"]));
        var before = store.Snapshot();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciNotFoundException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains($"Blob {config} is missing", error.Message, StringComparison.Ordinal);
        await moduleAbandoned.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(before, store.Snapshot());
    }

    [Fact]
    public async Task A_blob_longer_than_its_descriptor_is_refused()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Serve(blob: b => [.. b, .. new byte[4096]]));
        using var store = new TestStore();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains("longer than", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task A_tampered_manifest_is_refused_against_the_announced_digest()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Serve(manifest: m => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(m).Replace("v0.2.1", "v0.2.2", StringComparison.Ordinal))));
        using var store = new TestStore();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains("does not match the digest the registry announced", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task A_manifest_that_does_not_match_the_pinned_digest_is_refused()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Serve(manifest: m => [.. m, (byte)' '], announceRealDigest: false));
        using var store = new TestStore();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter@{Image.ManifestDigest}"), store.Store));

        Assert.Contains("does not match its digest", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task A_manifest_over_4_MiB_is_refused_before_it_is_read()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Serve(manifest: _ => new byte[5 * 1024 * 1024], announceRealDigest: false));
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => client.GetManifestAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1")));

        Assert.Contains("4194304", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_over_the_limit_is_refused_before_download()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Serve());
        using var store = new TestStore();
        using var client = new RegistryClient(new RegistryClientOptions { MaxModuleSize = 1024 }, AnonymousCredentialProvider.Instance);

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains("over the limit of 1024 bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(evil.Requests, r => r.PathAndQuery.EndsWith(Image.Manifest.Layers[1].Digest, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redirect_to_another_host_carries_no_credentials()
    {
        await using var elsewhere = await ScriptedRegistry.StartAsync(Serve());
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Headers.Authorization.Count == 0)
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"evil\"";
                return;
            }

            if (context.Request.Path.Value!.Contains("/blobs/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 307;
                context.Response.Headers.Location = $"http://{elsewhere.Host}{context.Request.Path}";
                return;
            }

            await Serve()(context);
        });
        using var store = new TestStore();
        using var client = Client(new StaticCredentialProvider(Secret));

        var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store);

        Assert.Equal(Image.ManifestDigest, pulled.ManifestDigest);
        Assert.Contains(evil.Requests, r => r.Authorization.StartsWith("Basic ", StringComparison.Ordinal));
        Assert.NotEmpty(elsewhere.Requests);
        Assert.All(elsewhere.Requests, r => Assert.Equal(string.Empty, r.Authorization));
    }

    [Fact]
    public async Task A_redirect_that_serves_tampered_content_is_refused_and_the_store_unchanged()
    {
        await using var elsewhere = await ScriptedRegistry.StartAsync(Serve(blob: b => [.. b.Reverse()]));
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Path.Value!.Contains("/blobs/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = $"http://{elsewhere.Host}{context.Request.Path}";
                return;
            }

            await Serve()(context);
        });
        using var store = new TestStore();
        using var client = Client(new StaticCredentialProvider(Secret));

        await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Empty(store.Snapshot());
        Assert.All(elsewhere.Requests, r => Assert.Equal(string.Empty, r.Authorization));
    }

    [Fact]
    public async Task Server_errors_are_retried_and_then_succeed()
    {
        var failures = 2;
        await using var flaky = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Path.Value!.Contains("/manifests/", StringComparison.Ordinal) && Interlocked.Decrement(ref failures) >= 0)
            {
                context.Response.StatusCode = 503;
                return;
            }

            await Serve()(context);
        });
        using var store = new TestStore();
        using var client = Client();

        var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{flaky.Host}/evil/filter:v1"), store.Store);

        Assert.Equal(Image.ManifestDigest, pulled.ManifestDigest);
        Assert.Equal(3, flaky.Requests.Count(r => r.PathAndQuery.Contains("/manifests/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_blob_whose_connection_breaks_mid_body_is_downloaded_again()
    {
        var module = Image.Manifest.Layers[^1].GetDigest();
        var bytes = Image.Blobs[module].ToArray();
        // A plain socket, so the break is exact: headers promise the whole blob, half arrives, then the
        // connection closes cleanly (the client sees the body end early, not a reset).
        using var breaking = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        breaking.Start();
        var served = Task.Run(async () =>
        {
            using var connection = await breaking.AcceptSocketAsync();
            var request = new byte[8192];
            var received = 0;
            while (!Encoding.ASCII.GetString(request, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                received += await connection.ReceiveAsync(request.AsMemory(received));
            }

            await connection.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
            await connection.SendAsync(bytes.AsMemory(0, bytes.Length / 2));
            connection.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        });
        var redirected = 0;
        var serve = Serve();
        await using var flaky = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Path.Value!.EndsWith(module.ToString(), StringComparison.Ordinal) && Interlocked.Exchange(ref redirected, 1) == 0)
            {
                context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                context.Response.Headers.Location = $"http://{breaking.LocalEndpoint}/blob";
                return;
            }

            await serve(context);
        });
        using var store = new TestStore();
        using var client = Client();

        var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{flaky.Host}/evil/filter:v1"), store.Store);

        await served;
        Assert.Equal(Image.ManifestDigest, pulled.ManifestDigest);
        Assert.Equal(2, flaky.Requests.Count(r => r.PathAndQuery.EndsWith(module.ToString(), StringComparison.Ordinal)));
        Assert.Equal(TestWasmModule.Create(2048, seed: 5), await store.Store.ReadModuleAsync(pulled));
    }

    [Fact]
    public async Task Server_errors_that_persist_are_a_network_error()
    {
        await using var broken = await ScriptedRegistry.StartAsync(context =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        });
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => client.GetManifestAsync(ImageReference.Parse($"{broken.Host}/evil/filter:v1")));

        Assert.Contains("kept failing with HTTP 500", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, broken.Requests.Count);
    }

    [Fact]
    public async Task A_token_realm_over_plain_http_to_a_remote_host_gets_no_credentials()
    {
        await using var evil = await ScriptedRegistry.StartAsync(context =>
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"http://attacker.example/token\",service=\"x\"";
            return Task.CompletedTask;
        });
        using var client = Client(new StaticCredentialProvider(Secret));

        var error = await Assert.ThrowsAsync<OciAuthException>(() => client.CheckAccessAsync(evil.Host));

        Assert.Contains("over plain HTTP", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_realm_on_a_name_that_merely_starts_with_127_is_not_loopback_and_gets_no_credentials_over_plain_http()
    {
        await using var evil = await ScriptedRegistry.StartAsync(context =>
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"http://127.attacker.example/token\",service=\"x\"";
            return Task.CompletedTask;
        });
        using var client = Client(new StaticCredentialProvider(Secret));

        var error = await Assert.ThrowsAsync<OciAuthException>(() => client.CheckAccessAsync(evil.Host));

        Assert.Contains("over plain HTTP to 127.attacker.example", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_named_127_something_gets_tls_not_plain_http()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Serve());
        var port = new Uri($"http://{evil.Host}").Port;
        // Stands in for DNS: 127.attacker.example resolves to the scripted registry.
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var store = new TestStore();
        using var client = new RegistryClient(new RegistryClientOptions { MaxRetries = 0 }, AnonymousCredentialProvider.Instance, handler: handler);

        await Assert.ThrowsAsync<OciNetworkException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"127.attacker.example:{port}/evil/filter:v1"), store.Store));

        Assert.Empty(evil.Requests);
        Assert.Empty(store.Snapshot());
    }

    [Theory]
    [InlineData("abc\r\nX-Injected: 1")]
    [InlineData("abc\u0000def")]
    [InlineData("two words")]
    public async Task A_token_that_no_header_may_carry_is_an_auth_error_not_a_crash(string token)
    {
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Path == "/token")
            {
                await context.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["token"] = token });
                return;
            }

            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{context.Request.Host}/token\",service=\"x\"";
        });
        using var client = Client(new StaticCredentialProvider(Secret));

        var error = await Assert.ThrowsAsync<OciAuthException>(() => client.CheckAccessAsync(evil.Host));

        Assert.Contains("sent a token with spaces or control characters", error.Message, StringComparison.Ordinal);
        Assert.Equal(["/v2/", "/token?service=x"], evil.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task A_token_answer_that_is_json_of_the_wrong_shape_says_so()
    {
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            if (context.Request.Path == "/token")
            {
                await context.Response.WriteAsync("""{"token": 5}""");
                return;
            }

            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{context.Request.Host}/token\"";
        });
        using var client = Client(new StaticCredentialProvider(Secret));

        var error = await Assert.ThrowsAsync<OciAuthException>(() => client.CheckAccessAsync(evil.Host));

        Assert.Contains("not a token response", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_token_answer_larger_than_any_token_is_an_auth_error_naming_the_token_service(bool announced)
    {
        await using var tokens = await ScriptedRegistry.StartAsync(async context =>
        {
            // Declared up front, or an endless chunked body: either way far past any token.
            if (announced)
            {
                context.Response.ContentLength = 200L * 1024 * 1024;
            }

            await context.Response.WriteAsync("{\"token\":\"");
            var filler = new byte[64 * 1024];
            Array.Fill(filler, (byte)'a');
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(filler, context.RequestAborted).AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
        await using var evil = await ScriptedRegistry.StartAsync(context =>
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{tokens.Host}/token\",service=\"x\"";
            return Task.CompletedTask;
        });
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciAuthException>(() => client.CheckAccessAsync(evil.Host));

        Assert.StartsWith($"The token service of {evil.Host} at {tokens.Host} sent more than 1048576 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endless_manifest_is_refused_naming_the_manifest()
    {
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            context.Response.ContentType = MediaTypes.OciManifest;
            await context.Response.WriteAsync("{\"schemaVersion\":2,\"x\":\"");
            var filler = new byte[64 * 1024];
            Array.Fill(filler, (byte)' ');
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(filler, context.RequestAborted).AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
        using var store = new TestStore();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.StartsWith($"Refused the manifest of {evil.Host}/evil/filter:v1: the registry sent more than the allowed 4194304 bytes", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task A_manifest_listing_thousands_of_layers_is_refused_before_any_blob_is_fetched()
    {
        // Within the 4 MiB manifest bound a registry can list some 17,000 layers, each of which a pull fetched at once on
        // its own connection into its own temp file: past a 1024 file-descriptor ulimit that ended in "Too many open files".
        var filler = Enumerable.Range(0, RegistryLimits.MaxLayers).Select(i =>
        {
            var bytes = Encoding.UTF8.GetBytes($"filler {i}");
            return new Descriptor { MediaType = "application/octet-stream", Digest = Digest.Compute(bytes).ToString(), Size = bytes.Length };
        });
        var manifest = Image.Manifest with { Layers = [.. filler, .. Image.Manifest.Layers] };
        await using var evil = await ScriptedRegistry.StartAsync(Serve(manifest: _ => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Written.ImageManifest), announceRealDigest: false));
        using var store = new TestStore();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains($"lists {RegistryLimits.MaxLayers + Image.Manifest.Layers.Count} layers, more than the {RegistryLimits.MaxLayers} wasme fetches", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(evil.Requests, r => r.PathAndQuery.Contains("/blobs/", StringComparison.Ordinal));
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task Reading_an_images_module_fetches_only_the_blobs_a_proxy_reads_not_other_layers()
    {
        // The operator, the cache and `wasme run` read an image's module into memory. Each extra layer (up to 128 of up to
        // 256 MiB) was fetched and held too: an image padded with junk layers could take gigabytes of a pod's memory.
        var junk = Enumerable.Range(0, 3).Select(i => Encoding.UTF8.GetBytes(new string((char)('a' + i), 64 * 1024))).ToArray();
        var junkLayers = junk.Select(b => new Descriptor { MediaType = "application/octet-stream", Digest = Digest.Compute(b).ToString(), Size = b.Length }).ToArray();
        var manifest = Image.Manifest with { Layers = [.. junkLayers, .. Image.Manifest.Layers] };
        var manifestBytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Written.ImageManifest);
        var serve = Serve(manifest: _ => manifestBytes, announceRealDigest: false);
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            var layer = Array.FindIndex(junkLayers, d => context.Request.Path.Value!.EndsWith(d.Digest, StringComparison.Ordinal));
            if (layer >= 0)
            {
                await context.Response.Body.WriteAsync(junk[layer]);
                return;
            }

            await serve(context);
        });
        using var client = Client();

        var module = await new ImagePuller(client).ReadModuleAsync(ImageReference.Parse($"{registry.Host}/evil/filter:v1"));

        Assert.Equal(ImageModule.Read(Image, RegistryLimits.DefaultMaxModuleSize).ModuleDigest, module.ModuleDigest);
        Assert.Equal(Digest.Compute(manifestBytes), module.ManifestDigest);
        Assert.DoesNotContain(registry.Requests, r => junkLayers.Any(d => r.PathAndQuery.EndsWith(d.Digest, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_pull_of_an_image_whose_other_layers_pass_256_MiB_is_refused_before_any_blob_is_fetched()
    {
        // Each blob was bounded (256 MiB) and so was their number (128), but not their sum: a pull could write 32 GiB.
        var padding = Enumerable.Range(0, 2).Select(i => new Descriptor
        {
            MediaType = "application/octet-stream",
            Digest = Digest.Compute(Encoding.UTF8.GetBytes($"padding {i}")).ToString(),
            Size = 200L * 1024 * 1024,
        });
        var manifest = Image.Manifest with { Layers = [.. padding, .. Image.Manifest.Layers] };
        await using var evil = await ScriptedRegistry.StartAsync(Serve(manifest: _ => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, OciJsonContext.Written.ImageManifest), announceRealDigest: false));
        using var store = new TestStore();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains("besides the module", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing stored", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(evil.Requests, r => r.PathAndQuery.Contains("/blobs/", StringComparison.Ordinal));
        Assert.Empty(store.Snapshot());
    }

    [Fact]
    public async Task An_index_of_hundreds_of_images_none_of_them_wasm_is_refused_after_a_few_are_tried()
    {
        // Within its 4 MiB an index can list some 17,000 entries, each of which was fetched in turn (up to 4 MiB each)
        // looking for a Wasm image that is not there.
        var linux = Enumerable.Range(0, 300).Select(i => Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.OciManifest}}","config":{"mediaType":"{{MediaTypes.OciImageConfig}}","digest":"{{Digest.Compute(Encoding.UTF8.GetBytes($"config {i}"))}}","size":8},"layers":[]}""")).ToArray();
        var byDigest = linux.ToDictionary(b => Digest.Compute(b).ToString(), b => b);
        var entries = new System.Text.Json.Nodes.JsonArray(linux.Select(b => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
        {
            ["mediaType"] = MediaTypes.OciManifest,
            ["digest"] = Digest.Compute(b).ToString(),
            ["size"] = b.Length,
            ["platform"] = new System.Text.Json.Nodes.JsonObject { ["architecture"] = "amd64", ["os"] = "linux" },
        }).ToArray());
        var index = Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = entries }.ToJsonString());
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            var path = context.Request.Path.Value!;
            var name = path[(path.LastIndexOf('/') + 1)..];
            var (type, bytes) = name == "v1" ? (MediaTypes.OciIndex, index) : byDigest.TryGetValue(name, out var manifest) ? (MediaTypes.OciManifest, manifest) : (null, null);
            if (bytes is null)
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.ContentType = type;
            await context.Response.Body.WriteAsync(bytes);
        });
        using var store = new TestStore();
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciUsageException>(() => new ImagePuller(client).PullAsync(ImageReference.Parse($"{evil.Host}/evil/filter:v1"), store.Store));

        Assert.Contains("lists no Wasm image", error.Message, StringComparison.Ordinal);
        Assert.Contains("300 entries", error.Message, StringComparison.Ordinal);
        Assert.InRange(evil.Requests.Count(r => r.PathAndQuery.Contains("/manifests/sha256:", StringComparison.Ordinal)), 1, 16);
        Assert.Empty(store.Snapshot());
    }
}
