using System.Net;
using Microsoft.AspNetCore.Http;
using Wasme.Oci.Errors;
using Wasme.Oci.References;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>
/// A blob push sends its existence check (HEAD) and the start of its upload (POST) together: whichever
/// way the registry answers, the outcome must be the one the two sent in turn would give, and a session
/// opened for nothing is cancelled.
/// </summary>
public sealed class BlobPushTests
{
    private static readonly byte[] Content = [1, 2, 3, 4, 5, 6, 7, 8];
    private static readonly Digest ContentDigest = Digest.Compute(Content);

    [Fact]
    public async Task A_blob_the_registry_has_is_skipped_and_the_upload_session_opened_beside_the_check_is_cancelled()
    {
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status200OK));

        var result = await PushAsync(registry);

        Assert.Equal(BlobPushResult.Skipped, result);
        Assert.Contains(registry.Requests, r => r.Method == "DELETE" && r.PathAndQuery == "/v2/team/filter/blobs/uploads/session-1");
        Assert.DoesNotContain(registry.Requests, r => r.Method is "PUT" or "PATCH");
    }

    [Fact]
    public async Task A_blob_the_registry_lacks_is_uploaded_into_the_session_the_concurrent_post_opened()
    {
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status404NotFound));

        var result = await PushAsync(registry);

        Assert.Equal(BlobPushResult.Uploaded, result);
        var put = Assert.Single(registry.Requests, r => r.Method == "PUT");
        Assert.Equal($"/v2/team/filter/blobs/uploads/session-1?digest={Uri.EscapeDataString(ContentDigest.ToString())}", put.PathAndQuery);
        Assert.DoesNotContain(registry.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task A_mount_answered_while_the_check_says_missing_is_reported_as_mounted_with_nothing_uploaded()
    {
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status404NotFound, post: StatusCodes.Status201Created));

        var result = await PushAsync(registry, mountFrom: "team/source");

        Assert.Equal(BlobPushResult.Mounted, result);
        Assert.Contains(registry.Requests, r => r.Method == "POST" && r.PathAndQuery.Contains("mount=sha256", StringComparison.Ordinal) && r.PathAndQuery.Contains("from=team%2Fsource", StringComparison.Ordinal));
        Assert.DoesNotContain(registry.Requests, r => r.Method is "PUT" or "PATCH" or "DELETE");
    }

    [Fact]
    public async Task A_mount_the_check_already_saw_is_still_reported_as_mounted()
    {
        // The check can arrive after the registry performed the mount sent beside it: the outcome must not depend on that race.
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status200OK, post: StatusCodes.Status201Created));

        var result = await PushAsync(registry, mountFrom: "team/source");

        Assert.Equal(BlobPushResult.Mounted, result);
        Assert.DoesNotContain(registry.Requests, r => r.Method is "PUT" or "PATCH" or "DELETE");
    }

    [Fact]
    public async Task A_failed_check_is_the_error_reported_and_the_session_opened_beside_it_is_cancelled()
    {
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status400BadRequest));

        var error = await Assert.ThrowsAsync<OciUsageException>(() => PushAsync(registry));

        Assert.Contains($"checking blob {ContentDigest}", error.Message, StringComparison.Ordinal);
        Assert.Contains(registry.Requests, r => r.Method == "DELETE" && r.PathAndQuery == "/v2/team/filter/blobs/uploads/session-1");
        Assert.DoesNotContain(registry.Requests, r => r.Method is "PUT" or "PATCH");
    }

    [Fact]
    public async Task A_refused_upload_start_is_the_error_reported_when_the_registry_lacks_the_blob()
    {
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status404NotFound, post: StatusCodes.Status403Forbidden));

        var error = await Assert.ThrowsAsync<OciAuthException>(() => PushAsync(registry));

        Assert.Contains("denied access", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(registry.Requests, r => r.Method is "PUT" or "PATCH" or "DELETE");
    }

    [Fact]
    public async Task A_refused_upload_start_does_not_fail_a_push_whose_blob_the_registry_has()
    {
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status200OK, post: StatusCodes.Status403Forbidden));

        Assert.Equal(BlobPushResult.Skipped, await PushAsync(registry));
    }

    [Fact]
    public async Task A_refused_upload_is_the_error_reported_and_its_session_is_cancelled()
    {
        await using var registry = await ScriptedRegistry.StartAsync(Script(head: StatusCodes.Status404NotFound, put: StatusCodes.Status500InternalServerError));

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => PushAsync(registry));

        Assert.Contains($"finishing the upload of {ContentDigest}", error.Message, StringComparison.Ordinal);
        // Left open, the session would hold what the registry received until it expires (a week, for Distribution).
        Assert.Contains(registry.Requests, r => r.Method == "DELETE" && r.PathAndQuery == "/v2/team/filter/blobs/uploads/session-1");
    }

    [Fact]
    public async Task A_failed_chunk_cancels_the_session_where_the_registry_last_put_it()
    {
        var script = Script(head: StatusCodes.Status404NotFound);
        var patches = 0;
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            if (!HttpMethods.IsPatch(context.Request.Method))
            {
                await script(context);
            }
            else if (Interlocked.Increment(ref patches) == 1)
            {
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                context.Response.Headers.Location = "/v2/team/filter/blobs/uploads/session-2";
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            }
        });

        await Assert.ThrowsAsync<OciUsageException>(() => PushAsync(registry, chunkSize: 4));

        Assert.Equal(2, registry.Requests.Count(r => r.Method == "PATCH"));
        Assert.Equal("/v2/team/filter/blobs/uploads/session-2", Assert.Single(registry.Requests, r => r.Method == "DELETE").PathAndQuery);
    }

    [Fact]
    public async Task A_push_cancelled_during_its_upload_cancels_the_session()
    {
        var uploading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var script = Script(head: StatusCodes.Status404NotFound);
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            if (HttpMethods.IsPut(context.Request.Method))
            {
                // The upload hangs until the client gives up on it (Ctrl-C).
                uploading.TrySetResult();
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            await script(context);
        });
        using var cancel = new CancellationTokenSource();
        var push = PushAsync(registry, cancellationToken: cancel.Token);
        await uploading.Task;

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => push);
        Assert.Contains(registry.Requests, r => r.Method == "DELETE" && r.PathAndQuery == "/v2/team/filter/blobs/uploads/session-1");
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/upload")]
    [InlineData("file:///etc/passwd")]
    public async Task An_upload_location_with_a_scheme_other_than_http_is_a_network_error_not_a_crash(string location)
    {
        var script = Script(head: StatusCodes.Status404NotFound);
        await using var registry = await ScriptedRegistry.StartAsync(async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                context.Response.Headers.Location = location;
                return;
            }

            await script(context);
        });

        var error = await Assert.ThrowsAsync<OciNetworkException>(() => PushAsync(registry));

        Assert.Contains($"unsupported URL scheme '{new Uri(location).Scheme}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(registry.Requests, r => r.Method is "PUT" or "PATCH");
    }

    private static async Task<BlobPushResult> PushAsync(ScriptedRegistry registry, string? mountFrom = null, int chunkSize = 0, CancellationToken cancellationToken = default)
    {
        using var client = new RegistryClient(new RegistryClientOptions { MaxRetries = 0, UploadChunkSize = chunkSize }, AnonymousCredentialProvider.Instance);
        return await client.PushBlobAsync(ImageReference.Parse($"{registry.Host}/team/filter"), ContentDigest, Content, mountFrom, cancellationToken: cancellationToken);
    }

    /// <summary>HEAD answers <paramref name="head"/>; POST <paramref name="post"/> (202 opens session-1); PUT <paramref name="put"/>; DELETE succeeds.</summary>
    private static Func<HttpContext, Task> Script(int head, int post = StatusCodes.Status202Accepted, int put = StatusCodes.Status201Created) => async context =>
    {
        var request = context.Request;
        var response = context.Response;
        if (HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = head;
            return;
        }

        if (HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = post;
            if (post == StatusCodes.Status202Accepted)
            {
                response.Headers.Location = "/v2/team/filter/blobs/uploads/session-1";
            }
            else if (post == StatusCodes.Status403Forbidden)
            {
                await response.WriteAsync("""{"errors":[{"code":"DENIED","message":"no push"}]}""");
            }

            return;
        }

        response.StatusCode = HttpMethods.IsPut(request.Method) ? put
            : HttpMethods.IsDelete(request.Method) ? StatusCodes.Status204NoContent
            : (int)HttpStatusCode.MethodNotAllowed;
    };
}
