using Microsoft.AspNetCore.Http;

namespace Wasme.Proxy.Forwarding;

/// <summary>
/// A client's <c>Expect: 100-continue</c>, handled as Envoy's connection manager handles it by default
/// (<c>proxy_100_continue</c> off): the client gets its 100 as soon as the request headers are in, and the header is
/// removed before any filter sees the request, so neither the filters nor the upstream ever see the expectation.
/// </summary>
internal static class ExpectContinue
{
    /// <summary>Answers the expectation when the request carries one and has a body; otherwise does nothing.</summary>
    public static async ValueTask AnswerAsync(HttpRequest request, bool hasBody)
    {
        var expect = request.Headers.Expect;
        if (expect.Count != 1 || !string.Equals(expect[0], "100-continue", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (hasBody)
        {
            // Kestrel writes its 100 when a read of the body starts, and only while the header is there. Start one,
            // give it back at once (CancelPendingRead) and consume nothing: the body stays whole for whoever reads it.
            var reader = request.BodyReader;
            var read = reader.ReadAsync();
            var cancelled = !read.IsCompleted;
            if (cancelled)
            {
                reader.CancelPendingRead();
            }

            var result = await read;
            reader.AdvanceTo(result.Buffer.Start);
            if (cancelled && !result.IsCanceled && reader.TryRead(out var leftover))
            {
                // The client's bytes beat the cancel: the read took them and the cancel waits for the next read, which
                // would be the forwarder's (a cancelled body read is answered 400). This read takes it instead.
                reader.AdvanceTo(leftover.Buffer.Start);
            }
        }

        request.Headers.Remove("Expect");
    }
}
