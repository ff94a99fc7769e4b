using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Wasme.Proxy.Hosting;

/// <summary>
/// The built-in upstream of <c>wasme run --echo-upstream</c>: answers every request with a JSON description of
/// what it received (method, path, headers, body), so a demo needs nothing else running.
/// </summary>
internal static class EchoUpstream
{
    private const int MaxEchoedBody = 1024 * 1024;

    public static async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxEchoedBody)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }

            body.Write(buffer, 0, read);
        }

        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("method", request.Method);
        writer.WriteString("path", string.Concat(request.Path.ToUriComponent(), request.QueryString.Value));
        writer.WriteStartObject("headers");
        foreach (var (name, values) in request.Headers)
        {
            writer.WriteString(name.ToLowerInvariant(), values.ToString());
        }

        writer.WriteEndObject();
        writer.WriteString("body", System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length));
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
