using System.Net;

namespace Wasme.Oci.Registry;

/// <summary>An upload body (a range of a blob) sent in slices, reporting the running byte count after each (for progress bars).</summary>
internal sealed class ProgressContent(BlobSource content, long offset, long count, IProgress<long>? progress) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        content.WriteToAsync(stream, offset, count, progress is null ? null : sent => progress.Report(offset + sent), cancellationToken);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = count;
        return true;
    }
}
