using System.Net;

namespace Wasme.Oci.Registry;

/// <summary>An upload body sent in slices, reporting the running byte count after each (for progress bars).</summary>
internal sealed class ProgressContent(ReadOnlyMemory<byte> content, long offset, IProgress<long>? progress) : HttpContent
{
    private const int SliceSize = 256 * 1024;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var sent = 0; sent < content.Length;)
        {
            var slice = content.Slice(sent, Math.Min(SliceSize, content.Length - sent));
            await stream.WriteAsync(slice, cancellationToken).ConfigureAwait(false);
            sent += slice.Length;
            progress?.Report(offset + sent);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = content.Length;
        return true;
    }
}
