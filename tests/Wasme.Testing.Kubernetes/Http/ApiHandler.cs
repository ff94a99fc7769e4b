using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wasme.Testing.Kubernetes.Authorization;
using Wasme.Testing.Kubernetes.Faults;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;
using Wasme.Testing.Kubernetes.Selectors;

namespace Wasme.Testing.Kubernetes.Http;

/// <summary>Maps Kubernetes REST paths and verbs onto <see cref="ResourceService"/>; every failure becomes a Status body.</summary>
internal sealed partial class ApiHandler
{
    private const long MaxBodyBytes = 16 * 1024 * 1024;
    private readonly ResourceService _service;
    private readonly WatchStream _watch;
    private readonly FaultInjector _faults;
    private readonly RequestLog _requests;
    private readonly TimeProvider _time;
    private readonly string _gitVersion;
    private readonly ILogger _logger;
    private readonly AccessControl _access;

    public ApiHandler(ResourceService service, WatchStream watch, FaultInjector faults, RequestLog requests, TimeProvider time, string gitVersion, ILogger logger, AccessControl access)
    {
        _access = access;
        _service = service;
        _watch = watch;
        _faults = faults;
        _requests = requests;
        _time = time;
        _gitVersion = gitVersion;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var cancellationToken = context.RequestAborted;
        try
        {
            if (_faults.Latency > TimeSpan.Zero)
            {
                var delay = Task.Delay(_faults.Latency, _time, cancellationToken);
                _faults.OnDelayed(path);
                await delay;
            }

            if (_faults.CheckThrottle(request.Method, path) is { } retryAfter)
            {
                await WriteTooManyRequestsAsync(context, retryAfter, cancellationToken);
                return;
            }

            if (_faults.Check(request.Method, path) is { } injected)
            {
                throw injected;
            }

            if (await _access.HandleAsync(context, cancellationToken))
            {
                return;
            }

            await RouteAsync(context, path, cancellationToken);
        }
        catch (ApiException e)
        {
            await WriteJsonAsync(context, e.Code, e.ToStatus(), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
#pragma warning disable CA1031 // Any bug must still answer as kube-apiserver would: a 500 Status.
        catch (Exception e) when (!context.Response.HasStarted)
#pragma warning restore CA1031
        {
            LogInternalError(_logger, request.Method, path, e);
            await WriteJsonAsync(context, 500, ApiException.Internal($"Internal error occurred: {e.Message}").ToStatus(), cancellationToken);
        }
        finally
        {
            _requests.Add(new RecordedRequest(request.Method, path, request.QueryString.Value ?? "", request.ContentType, context.Response.StatusCode));
            LogRequest(_logger, request.Method, path, request.QueryString.Value ?? "", context.Response.StatusCode);
        }
    }

    private async Task RouteAsync(HttpContext context, string path, CancellationToken cancellationToken)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = context.Request.Method;
        switch (segments)
        {
            case ["version"]:
                await WriteJsonAsync(context, 200, Discovery.Version(_gitVersion), cancellationToken);
                return;
            case ["healthz" or "livez" or "readyz", ..]:
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("ok", cancellationToken);
                return;
            case ["api"]:
                await WriteJsonAsync(context, 200, Discovery.CoreVersions(context.Request.Host.Value ?? ""), cancellationToken);
                return;
            case ["apis"]:
                await WriteJsonAsync(context, 200, Discovery.Groups(_service.Registry), cancellationToken);
                return;
            case ["api", "v1"]:
                await WriteJsonAsync(context, 200, Discovery.Resources("v1", _service.Registry.All.Where(r => r.Group.Length == 0)), cancellationToken);
                return;
            case ["apis", var group]:
                var versions = _service.Registry.Groups().FirstOrDefault(g => g.Group == group).Versions
                    ?? throw NotFound();
                await WriteJsonAsync(context, 200, Discovery.Group(group, versions), cancellationToken);
                return;
            case ["apis", var group, var version]:
                var served = _service.Registry.All.Where(r => r.Group == group && r.Version == version).ToList();
                if (served.Count == 0)
                {
                    throw NotFound();
                }

                await WriteJsonAsync(context, 200, Discovery.Resources($"{group}/{version}", served), cancellationToken);
                return;
            case ["openapi", "v3"]:
                await WriteJsonAsync(context, 200, OpenApi.Root(_service.Registry), cancellationToken);
                return;
            case ["openapi", "v3", "api", var coreVersion]:
                await WriteJsonAsync(context, 200, OpenApi.GroupVersion(_service.Registry, "", coreVersion) ?? throw NotFound(), cancellationToken);
                return;
            case ["openapi", "v3", "apis", var group, var version]:
                await WriteJsonAsync(context, 200, OpenApi.GroupVersion(_service.Registry, group, version) ?? throw NotFound(), cancellationToken);
                return;
            case ["api", "v1", .. var rest]:
                await ResourceAsync(context, "", "v1", rest, method, cancellationToken);
                return;
            case ["apis", var group, var version, .. var rest]:
                await ResourceAsync(context, group, version, rest, method, cancellationToken);
                return;
            default:
                // /openapi/v2 included: a 404 makes kubectl fall back to its compiled-in types.
                throw NotFound();
        }
    }

    private async Task ResourceAsync(HttpContext context, string group, string version, string[] rest, string method, CancellationToken cancellationToken)
    {
        string? ns = null;
        if (rest is ["namespaces", var namespaceName, var next, ..] && !(rest.Length == 3 && next is "status" or "finalize"))
        {
            ns = namespaceName;
            rest = rest[2..];
        }

        var (plural, name, subresource) = rest switch
        {
            [var p] => (p, null, null),
            [var p, var n] => (p, n, null),
            [var p, var n, var s] => (p, n, (string?)s),
            _ => throw NotFound(),
        };
        var type = _service.Registry.Find(group, version, plural)
            ?? throw NotFound();
        if (subresource is not null && !(subresource == "status" && type.HasStatusSubresource))
        {
            throw NotFound();
        }

        if (type.Namespaced is false && ns is not null)
        {
            throw NotFound();
        }

        var query = context.Request.Query;
        var options = new WriteOptions
        {
            DryRun = query["dryRun"] == "All",
            FieldManager = query["fieldManager"],
            UserAgent = context.Request.Headers.UserAgent,
            FieldValidation = query["fieldValidation"].ToString() is { Length: > 0 } validation ? validation : "Warn",
        };
        try
        {
            await AnswerAsync(context, type, ns, name, subresource, query, options, method, cancellationToken);
        }
        catch (ApiException)
        {
            // kube-apiserver writes each warning as it is recorded, so those gathered before a refusal (unknown fields
            // under Warn, then a 422) go out with it.
            AppendWarnings(context, options);
            throw;
        }
    }

    private async Task AnswerAsync(
        HttpContext context, ResourceType type, string? ns, string? name, string? subresource, IQueryCollection query, WriteOptions options, string method, CancellationToken cancellationToken)
    {
        JsonObject result;
        var status = 200;
        switch (method, name)
        {
            case ("GET", null) when query["watch"] is ["true" or "1"] && _faults.TakeWatchClose():
                await WatchStream.StartAsync(context, cancellationToken);
                return;
            case ("GET", null) when query["watch"] is ["true" or "1"]:
                Func<JsonObject, JsonObject> render = Tables.Wanted(context.Request.Headers.Accept)
                    ? obj => Tables.Render(type, [obj], obj.ResourceVersion() ?? "", query["includeObject"].ToString(), _time.GetUtcNow())
                    : obj => obj;
                await _watch.ServeAsync(context, type, ns, query, render, cancellationToken);
                return;
            case ("GET", null):
                result = _service.List(type, ns, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"]));
                if (Tables.Wanted(context.Request.Headers.Accept))
                {
                    var items = ((JsonArray)result["items"]!).OfType<JsonObject>().ToList();
                    result = Tables.Render(type, items, result["metadata"]!["resourceVersion"]!.GetValue<string>(), query["includeObject"].ToString(), _time.GetUtcNow());
                }

                break;
            case ("GET", _):
                result = _service.Get(type, ns, name);
                if (Tables.Wanted(context.Request.Headers.Accept))
                {
                    result = Tables.Render(type, [result], result.ResourceVersion() ?? "", query["includeObject"].ToString(), _time.GetUtcNow());
                }

                break;
            case ("POST", null):
                result = _service.Create(type, ns, await ReadObjectAsync(context, cancellationToken), options);
                status = options.DryRun ? 200 : 201;
                break;
            case ("PUT", not null):
                result = _service.Replace(type, ns, name, await ReadObjectAsync(context, cancellationToken), subresource, options);
                break;
            case ("PATCH", not null):
                var patch = await ReadTextAsync(context, cancellationToken);
                result = _service.Patch(type, ns, name, context.Request.ContentType ?? "", patch, subresource, query["force"] == "true", options);
                break;
            case ("DELETE", not null):
                result = _service.Delete(type, ns, name, await ReadDeleteOptionsAsync(context, cancellationToken));
                break;
            case ("DELETE", null):
                var deleteOptions = await ReadDeleteOptionsAsync(context, cancellationToken);
                var victims = _service.List(type, ns, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"]));
                foreach (var victim in ((JsonArray)victims["items"]!).OfType<JsonObject>())
                {
                    _service.Delete(type, victim.Namespace(), victim.Name(), deleteOptions);
                }

                result = victims;
                break;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }

        AppendWarnings(context, options);
        await WriteJsonAsync(context, status, result, cancellationToken);
    }

    private static void AppendWarnings(HttpContext context, WriteOptions options)
    {
        foreach (var warning in options.Warnings)
        {
            context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
    }

    private static ApiException NotFound() => new(404, "NotFound", "the server could not find the requested resource");

    private static async Task<string> ReadTextAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // JSON only: clients that try protobuf (or CBOR) first retry with JSON on a 415.
        if (context.Request.ContentType is { } contentType
            && (contentType.Contains("protobuf", StringComparison.OrdinalIgnoreCase) || contentType.Contains("cbor", StringComparison.OrdinalIgnoreCase)))
        {
            throw ApiException.UnsupportedMediaType(contentType, "application/json, application/yaml");
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new ApiException(413, "RequestEntityTooLarge", $"the request body exceeds {MaxBodyBytes} bytes");
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        return text.Length > MaxBodyBytes ? throw new ApiException(413, "RequestEntityTooLarge", $"the request body exceeds {MaxBodyBytes} bytes") : text;
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var text = await ReadTextAsync(context, cancellationToken);
        try
        {
            var contentType = context.Request.ContentType ?? "application/json";
            var node = contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) ? YamlJson.ParseDocument(text) : JsonNode.Parse(text);
            return node as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}");
        }
    }

    private static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var text = await ReadTextAsync(context, cancellationToken);
        JsonObject body;
        try
        {
            body = text.Length > 0 ? JsonNode.Parse(text) as JsonObject ?? [] : [];
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"invalid DeleteOptions: {e.Message}");
        }

        var dryRun = query["dryRun"] == "All" || (body["dryRun"] is JsonArray flags && flags.Any(f => f?.GetValue<string>() == "All"));
        return new DeleteOptions
        {
            PropagationPolicy = body.GetString("propagationPolicy") ?? (query["propagationPolicy"].ToString() is { Length: > 0 } p ? p : null),
            PreconditionUid = body["preconditions"]?["uid"]?.GetValue<string>(),
            PreconditionResourceVersion = body["preconditions"]?["resourceVersion"]?.GetValue<string>(),
            DryRun = dryRun,
        };
    }

    // kube-apiserver's tooManyRequests (API Priority and Fairness, max-in-flight): Go's http.Error, so plain text, not a Status.
    private static async Task WriteTooManyRequestsAsync(HttpContext context, int retryAfterSeconds, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = 429;
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("Too many requests, please try again later.\n", cancellationToken);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path}{Query} -> {Status}")]
    private static partial void LogRequest(ILogger logger, string method, string path, string query, int status);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogInternalError(ILogger logger, string method, string path, Exception exception);
}
