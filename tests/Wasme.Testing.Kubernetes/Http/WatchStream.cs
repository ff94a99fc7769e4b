using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Selectors;
using Wasme.Testing.Kubernetes.Storage;

namespace Wasme.Testing.Kubernetes.Http;

/// <summary>
/// A <c>?watch=true</c> response: newline-delimited <c>{"type","object"}</c> events from the requested
/// resourceVersion, filtered by selectors (an object leaving the selection is a DELETED), with BOOKMARKs when
/// asked for, <c>timeoutSeconds</c>, and an ERROR event carrying a 410 Status when the revision is compacted.
/// </summary>
internal sealed class WatchStream
{
    private const string BookmarkType = "BOOKMARK";
    private readonly ObjectStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _bookmarkInterval;

    public WatchStream(ObjectStore store, TimeProvider time, TimeSpan bookmarkInterval)
    {
        _store = store;
        _time = time;
        _bookmarkInterval = bookmarkInterval;
    }

    // render: how an object goes on the wire, as itself or as a one-row Table for `kubectl get -w`.
    public async Task ServeAsync(HttpContext context, ResourceType type, string? ns, IQueryCollection query, Func<JsonObject, JsonObject> render, CancellationToken cancellationToken)
    {
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        FieldLabels.Check(type, fields);
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var sendInitial = query["sendInitialEvents"] == "true";
        var requested = query["resourceVersion"].ToString();
        var scope = type.Namespaced ? ns : null;
        bool Selected(JsonObject? obj) => obj is not null && labels.Matches(obj.Labels()) && fields.Matches(obj);

        var initial = new List<StoredEvent>();
        WatchSubscription? subscription;
        long revision;
        if (requested is "" or "0" || sendInitial)
        {
            // No resourceVersion (or "any"): the current state first, as synthetic ADDED events.
            var (current, live, now) = _store.WatchFromNow(type.Group, type.Plural, scope);
            subscription = live;
            revision = now;
            initial.AddRange(current.Select(c => new StoredEvent(now, "ADDED", c.Key, c.Object, null)));
        }
        else if (long.TryParse(requested, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            var (backlog, live, compacted) = _store.Watch(type.Group, type.Plural, scope, from);
            if (backlog is null)
            {
                await StartAsync(context, cancellationToken);
                var gone = ApiException.Gone($"too old resource version: {from} ({compacted})").ToStatus();
                await WriteAsync(context, "ERROR", gone, cancellationToken);
                return;
            }

            subscription = live!;
            revision = from;
            initial.AddRange(backlog);
        }
        else
        {
            throw ApiException.BadRequest($"invalid resource version \"{requested}\"");
        }

        using var _ = subscription;
        using var timeout = TimeoutSource(query["timeoutSeconds"]);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        await StartAsync(context, cancellationToken);
        foreach (var change in initial)
        {
            revision = Math.Max(revision, change.Revision);
            await EmitAsync(context, type, change, Selected, render, cancellationToken);
        }

        if (sendInitial && bookmarks)
        {
            await WriteBookmarkAsync(context, type, revision, initialEventsEnd: true, cancellationToken);
        }

        var reader = subscription.Events.Reader;
        Task<bool>? next = null;
        Task? tick = null;
        while (true)
        {
            if (linked.IsCancellationRequested)
            {
                // timeoutSeconds elapsed: a clean end of stream, with a last bookmark as kube-apiserver sends.
                if (!cancellationToken.IsCancellationRequested && bookmarks)
                {
                    await WriteBookmarkAsync(context, type, _store.Revision, initialEventsEnd: false, cancellationToken);
                }

                return;
            }

            next ??= reader.WaitToReadAsync(linked.Token).AsTask();
            tick ??= Task.Delay(_bookmarkInterval, _time, linked.Token);
            await Task.WhenAny(next, tick);
            if (tick.IsCompleted)
            {
                var elapsed = tick.IsCompletedSuccessfully;
                tick = null;
                if (elapsed && bookmarks)
                {
                    await WriteBookmarkAsync(context, type, _store.Revision, initialEventsEnd: false, cancellationToken);
                }

                continue;
            }

            if (!next.IsCompletedSuccessfully)
            {
                next = null;
                continue;
            }

            var open = next.Result;
            next = null;
            if (!open)
            {
                return; // Dropped by the server (fault injection) or disposed.
            }

            while (reader.TryRead(out var change))
            {
                if (change.Type == BookmarkType)
                {
                    if (bookmarks)
                    {
                        await WriteBookmarkAsync(context, type, change.Revision, initialEventsEnd: false, cancellationToken);
                    }

                    continue;
                }

                await EmitAsync(context, type, change, Selected, render, cancellationToken);
            }
        }
    }

    private CancellationTokenSource TimeoutSource(string? timeoutSeconds) =>
        int.TryParse(timeoutSeconds, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds), _time)
            : new CancellationTokenSource();

    private static async Task EmitAsync(
        HttpContext context, ResourceType type, StoredEvent change, Func<JsonObject?, bool> selected, Func<JsonObject, JsonObject> render, CancellationToken cancellationToken)
    {
        var now = selected(change.Object);
        var before = selected(change.Previous);
        var kind = change.Type switch
        {
            "ADDED" when now => "ADDED",
            "MODIFIED" when now && before => "MODIFIED",
            "MODIFIED" when now => "ADDED",
            "MODIFIED" when before => "DELETED",
            "DELETED" when before || now => "DELETED",
            _ => null,
        };
        if (kind is not null)
        {
            await WriteAsync(context, kind, render(ResourceService.Present(type, change.Object)), cancellationToken);
        }
    }

    private static Task WriteBookmarkAsync(HttpContext context, ResourceType type, long revision, bool initialEventsEnd, CancellationToken cancellationToken)
    {
        var metadata = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        return WriteAsync(context, BookmarkType, new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = metadata,
        }, cancellationToken);
    }

    /// <summary>The 200 a watch answers with, flushed before any event.</summary>
    internal static async Task StartAsync(HttpContext context, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.StartAsync(cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    private static async Task WriteAsync(HttpContext context, string type, JsonObject obj, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}
