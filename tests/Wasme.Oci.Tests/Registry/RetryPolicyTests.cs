using System.Globalization;
using Microsoft.AspNetCore.Http;
using Wasme.Oci.Errors;
using Wasme.Oci.Formats;
using Wasme.Oci.Manifests;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>Which failures are tried again, and after how long: backoff with jitter, Retry-After honoured up to a cap, 4xx final.</summary>
public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly PackedImage Image = ImagePacker.Pack(TestWasmModule.Create(1024, seed: 3), RuntimeConfig.Create(["v0.2.1"], ["root"]), WasmImageFormat.Wasme);

    private static RegistryClient Client(ImmediateTimeProvider clock) =>
        new(new RegistryClientOptions { ReadTimeout = Timeout.InfiniteTimeSpan }, AnonymousCredentialProvider.Instance, timeProvider: clock);

    /// <summary>Answers the first <paramref name="failures"/> requests with <paramref name="fail"/>, then serves the manifest.</summary>
    private static Func<HttpContext, Task> FailThenServe(int failures, Action<HttpResponse> fail) => async context =>
    {
        if (Interlocked.Decrement(ref failures) >= 0)
        {
            fail(context.Response);
            return;
        }

        context.Response.ContentType = MediaTypes.OciManifest;
        await context.Response.Body.WriteAsync(Image.ManifestBytes);
    };

    [Fact]
    public async Task A_429_waits_as_many_seconds_as_Retry_After_says()
    {
        var clock = new ImmediateTimeProvider(Now);
        await using var registry = await ScriptedRegistry.StartAsync(FailThenServe(1, r =>
        {
            r.StatusCode = 429;
            r.Headers.RetryAfter = "7";
        }));
        using var client = Client(clock);

        var manifest = await client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"));

        Assert.Equal(Image.ManifestDigest.ToString(), manifest.Descriptor.Digest);
        Assert.Equal([TimeSpan.FromSeconds(7)], clock.Waits);
        Assert.Equal(2, registry.Requests.Count);
    }

    [Fact]
    public async Task A_503_with_Retry_After_as_an_HTTP_date_waits_until_that_date()
    {
        var clock = new ImmediateTimeProvider(Now);
        await using var registry = await ScriptedRegistry.StartAsync(FailThenServe(1, r =>
        {
            r.StatusCode = 503;
            r.Headers.RetryAfter = Now.AddSeconds(12).ToString("r", CultureInfo.InvariantCulture);
        }));
        using var client = Client(clock);

        await client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"));

        Assert.Equal([TimeSpan.FromSeconds(12)], clock.Waits);
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_cap_fails_at_once_and_says_how_long_the_registry_asked_for()
    {
        var clock = new ImmediateTimeProvider(Now);
        await using var registry = await ScriptedRegistry.StartAsync(FailThenServe(1, r =>
        {
            r.StatusCode = 429;
            r.Headers.RetryAfter = "3600";
        }));
        using var client = Client(clock);

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1")));

        Assert.Contains("asks to wait 3600 s", error.Message, StringComparison.Ordinal);
        Assert.Empty(clock.Waits);
        Assert.Single(registry.Requests);
    }

    [Fact]
    public async Task Backoff_has_jitter_so_clients_failing_together_do_not_retry_in_step_and_stays_under_the_cap()
    {
        await using var registry = await ScriptedRegistry.StartAsync(context =>
        {
            context.Response.StatusCode = 502;
            return Task.CompletedTask;
        });
        var first = new ImmediateTimeProvider(Now);
        var second = new ImmediateTimeProvider(Now);
        using (var a = Client(first))
        using (var b = Client(second))
        {
            await Assert.ThrowsAsync<OciNetworkException>(() => a.GetManifestAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1")));
            var error = await Assert.ThrowsAsync<OciNetworkException>(() => b.GetManifestAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1")));
            Assert.Contains("kept failing with HTTP 502 after 3 retries", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(3, first.Waits.Count);
        Assert.All(first.Waits.Concat(second.Waits), w => Assert.InRange(w, TimeSpan.FromTicks(1), RegistryClientOptions.DefaultMaxRetryDelay));
        Assert.NotEqual(first.Waits.ToArray(), second.Waits.ToArray());
        Assert.Equal(8, registry.Requests.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(405)]
    [InlineData(410)]
    [InlineData(501)]
    public async Task Answers_that_will_not_change_are_not_retried(int status)
    {
        var clock = new ImmediateTimeProvider(Now);
        await using var registry = await ScriptedRegistry.StartAsync(context =>
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        });
        using var client = Client(clock);

        await Assert.ThrowsAnyAsync<OciException>(() => client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1")));

        Assert.Single(registry.Requests);
        Assert.Empty(clock.Waits);
    }

    [Fact]
    public async Task A_408_is_retried()
    {
        var clock = new ImmediateTimeProvider(Now);
        await using var registry = await ScriptedRegistry.StartAsync(FailThenServe(1, r => r.StatusCode = 408));
        using var client = Client(clock);

        await client.GetManifestAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"));

        Assert.Equal(2, registry.Requests.Count);
    }

    [Theory]
    [InlineData(500, 1)]
    [InlineData(502, 1)]
    [InlineData(503, 4)]
    [InlineData(429, 4)]
    public async Task Starting_an_upload_is_sent_again_only_when_the_registry_cannot_have_acted_on_it(int status, int posts)
    {
        var clock = new ImmediateTimeProvider(Now);
        await using var registry = await ScriptedRegistry.StartAsync(context =>
        {
            context.Response.StatusCode = context.Request.Method == "HEAD" ? 404 : status;
            return Task.CompletedTask;
        });
        using var client = Client(clock);
        var content = "module"u8.ToArray();

        await Assert.ThrowsAsync<OciNetworkException>(() => client.PushBlobAsync(ImageReference.Parse($"{registry.Host}/team/filter:v1"), Digest.Compute(content), content));

        Assert.Equal(posts, registry.Requests.Count(r => r.Method == "POST"));
    }
}
