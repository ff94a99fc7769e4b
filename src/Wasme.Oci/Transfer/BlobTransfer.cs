using Wasme.Oci.Manifests;

namespace Wasme.Oci.Transfer;

/// <summary>Runs one blob's transfer between its Started report and its final one, with byte counts in between.</summary>
internal static class BlobTransfer
{
    public static async Task<T> RunAsync<T>(Descriptor descriptor, IProgress<TransferProgress>? progress, Func<IProgress<long>?, Task<T>> transfer, Func<T, TransferState> outcome)
    {
        var digest = descriptor.GetDigest();
        progress?.Report(new TransferProgress(digest, descriptor.MediaType, 0, descriptor.Size, TransferState.Started));
        var bytesProgress = progress is null ? null : new ProgressAdapter<long>(n => progress.Report(new TransferProgress(digest, descriptor.MediaType, n, descriptor.Size, TransferState.InProgress)));
        var result = await transfer(bytesProgress).ConfigureAwait(false);
        progress?.Report(new TransferProgress(digest, descriptor.MediaType, descriptor.Size, descriptor.Size, outcome(result)));
        return result;
    }
}
