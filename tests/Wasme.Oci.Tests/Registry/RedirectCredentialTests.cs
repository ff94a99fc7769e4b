using System.Net;
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

/// <summary>
/// A registry that needs Basic credentials redirects every blob GET: to itself, to another port,
/// or to another host (127.0.0.2). Whatever the redirect code and whatever the target asks, the
/// credentials reach the registry's own origin and nowhere else.
/// </summary>
public sealed class RedirectCredentialTests
{
    private static readonly PackedImage Image = ImagePacker.Pack(TestWasmModule.Create(4096, seed: 9), RuntimeConfig.Create(["v0.2.1"], ["root"]), WasmImageFormat.Wasme);
    private static readonly RegistryCredential Secret = new("alice", "very-secret-password");
    private static readonly string Basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:very-secret-password"));

    public enum Target
    {
        SameOrigin,
        OtherPort,
        OtherHost,
    }

    public static TheoryData<int, string, Target> Matrix()
    {
        var data = new TheoryData<int, string, Target>();
        foreach (var code in new[] { 301, 302, 303, 307, 308 })
        {
            foreach (var scheme in new[] { "Basic", "Bearer" })
            {
                foreach (var target in Enum.GetValues<Target>())
                {
                    data.Add(code, scheme, target);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task A_challenge_from_a_redirect_target_gets_no_credentials(int code, string scheme, Target target)
    {
        // The target asks for credentials with its own challenge (a Bearer realm on itself).
        await using var storage = await ScriptedRegistry.StartAsync(target == Target.OtherHost ? IPAddress.Parse("127.0.0.2") : IPAddress.Loopback, context =>
        {
            Challenge(context, scheme, $"http://{context.Request.Host}/token");
            return Task.CompletedTask;
        });
        await using var registry = await StartRegistryAsync(code, target == Target.SameOrigin ? null : storage, scheme);
        using var store = new TestStore();
        using var client = new RegistryClient(new RegistryClientOptions { RetryBaseDelay = TimeSpan.Zero }, new StaticCredentialProvider(Secret));
        var pull = new ImagePuller(client).PullAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"), store.Store);

        if (target == Target.SameOrigin)
        {
            // The registry's own origin: its credentials are the ones it was given, and it serves.
            Assert.Equal(Image.ManifestDigest, (await pull).ManifestDigest);
            Assert.Contains(registry.Requests, r => r.PathAndQuery.StartsWith("/storage/", StringComparison.Ordinal) && r.Authorization == Basic);
        }
        else
        {
            var error = await Assert.ThrowsAsync<OciAuthException>(() => pull);
            Assert.Contains(storage.Host, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret.Password, error.ToString(), StringComparison.Ordinal);
            Assert.NotEmpty(storage.Requests);
            Assert.All(storage.Requests, r => Assert.Equal(string.Empty, r.Authorization));
            Assert.DoesNotContain(storage.Requests, r => r.PathAndQuery.StartsWith("/token", StringComparison.Ordinal));
            Assert.Empty(store.Snapshot());
        }

        // What the registry itself received was either nothing or exactly its own credentials.
        Assert.All(registry.Requests, r => Assert.Contains(r.Authorization, new[] { string.Empty, Basic }));
    }

    [Theory]
    [InlineData(301, Target.OtherPort)]
    [InlineData(302, Target.OtherHost)]
    [InlineData(303, Target.OtherHost)]
    [InlineData(307, Target.OtherHost)]
    [InlineData(308, Target.OtherPort)]
    public async Task A_redirect_target_that_serves_without_a_challenge_gets_no_authorization_and_the_pull_succeeds(int code, Target target)
    {
        await using var storage = await ScriptedRegistry.StartAsync(target == Target.OtherHost ? IPAddress.Parse("127.0.0.2") : IPAddress.Loopback, ServeBlob);
        await using var registry = await StartRegistryAsync(code, storage, "Basic");
        using var store = new TestStore();
        using var client = new RegistryClient(new RegistryClientOptions(), new StaticCredentialProvider(Secret));

        var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"), store.Store);

        Assert.Equal(Image.ManifestDigest, pulled.ManifestDigest);
        Assert.Equal(2, storage.Requests.Count);
        Assert.All(storage.Requests, r => Assert.Equal(string.Empty, r.Authorization));
    }

    [Fact]
    public async Task An_upload_location_on_another_host_gets_no_credentials()
    {
        await using var elsewhere = await ScriptedRegistry.StartAsync(IPAddress.Parse("127.0.0.2"), context =>
        {
            Challenge(context, "Basic", string.Empty);
            return Task.CompletedTask;
        });
        await using var registry = await ScriptedRegistry.StartAsync(context =>
        {
            if (context.Request.Headers.Authorization != Basic)
            {
                Challenge(context, "Basic", string.Empty);
            }
            else if (context.Request.Method == "HEAD")
            {
                context.Response.StatusCode = 404;
            }
            else
            {
                context.Response.StatusCode = 202;
                context.Response.Headers.Location = $"http://{elsewhere.Host}/upload/1";
            }

            return Task.CompletedTask;
        });
        using var client = new RegistryClient(new RegistryClientOptions(), new StaticCredentialProvider(Secret));
        var content = "hello"u8.ToArray();

        await Assert.ThrowsAsync<OciAuthException>(() => client.PushBlobAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"), Digest.Compute(content), content));

        Assert.NotEmpty(elsewhere.Requests);
        Assert.All(elsewhere.Requests, r => Assert.Equal(string.Empty, r.Authorization));
    }

    [Fact]
    public async Task Debug_logs_of_a_redirected_authenticated_pull_hold_no_credential_and_no_presigned_query()
    {
        await using var storage = await ScriptedRegistry.StartAsync(IPAddress.Parse("127.0.0.2"), ServeBlob);
        await using var registry = await StartRegistryAsync(307, storage, "Basic");
        using var store = new TestStore();
        var logger = new CapturingLogger();
        using var client = new RegistryClient(new RegistryClientOptions(), new StaticCredentialProvider(Secret), logger);

        await new ImagePuller(client).PullAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"), store.Store);

        Assert.Contains(logger.Lines, l => l.Contains(storage.Host, StringComparison.Ordinal));
        Assert.All(logger.Lines, l =>
        {
            Assert.DoesNotContain(Secret.Password, l, StringComparison.Ordinal);
            Assert.DoesNotContain(Basic[6..], l, StringComparison.Ordinal);
            Assert.DoesNotContain("sig=", l, StringComparison.Ordinal);
        });
    }

    /// <summary>The registry: Basic auth on everything; blobs answered with <paramref name="code"/> to the storage (or to its own /storage/).</summary>
    private static Task<ScriptedRegistry> StartRegistryAsync(int code, ScriptedRegistry? storage, string scheme) =>
        ScriptedRegistry.StartAsync(async context =>
        {
            var path = context.Request.Path.Value!;
            if (context.Request.Headers.Authorization != Basic)
            {
                Challenge(context, path.StartsWith("/storage/", StringComparison.Ordinal) ? scheme : "Basic", $"http://{context.Request.Host}/token");
                return;
            }

            if (path.StartsWith("/storage/", StringComparison.Ordinal))
            {
                await ServeBlob(context);
                return;
            }

            if (path.Contains("/manifests/", StringComparison.Ordinal))
            {
                context.Response.ContentType = MediaTypes.OciManifest;
                await context.Response.Body.WriteAsync(Image.ManifestBytes);
                return;
            }

            var digest = path[(path.LastIndexOf('/') + 1)..];
            context.Response.StatusCode = code;
            context.Response.Headers.Location = storage is null ? $"/storage/{digest}?sig=abc" : $"http://{storage.Host}/storage/{digest}?sig=abc";
        });

    private static async Task ServeBlob(HttpContext context)
    {
        var path = context.Request.Path.Value!;
        if (Digest.TryParse(path[(path.LastIndexOf('/') + 1)..], out var digest) && Image.Blobs.TryGetValue(digest, out var content))
        {
            await context.Response.Body.WriteAsync(content);
            return;
        }

        context.Response.StatusCode = 404;
    }

    private static void Challenge(HttpContext context, string scheme, string realm)
    {
        context.Response.StatusCode = 401;
        context.Response.Headers.WWWAuthenticate = scheme == "Bearer"
            ? $"Bearer realm=\"{realm}\",service=\"storage\",scope=\"repository:team/filter:pull\""
            : "Basic realm=\"storage\"";
    }

    private sealed class CapturingLogger : Microsoft.Extensions.Logging.ILogger<RegistryClient>
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception) + exception);
    }
}
