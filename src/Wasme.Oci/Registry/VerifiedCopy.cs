using System.Buffers;
using Wasme.Oci.References;

namespace Wasme.Oci.Registry;

/// <summary>
/// Copies a download to its destination while hashing it, through two pooled buffers: while one
/// chunk is hashed and written on another core the next one is received. Nothing past the expected
/// length is ever written, so a fixed-size destination cannot overflow.
/// </summary>
internal static class VerifiedCopy
{
    private const int ChunkSize = 1024 * 1024;

    // Below this a chunk is hashed and written inline: a thread hop costs more than it hides.
    private const int ParallelThreshold = 64 * 1024;

    /// <summary>Returns how many bytes arrived (more than <paramref name="expectedLength"/> means it stopped early) and their digest.</summary>
    public static async Task<(long Length, Digest Digest)> CopyAsync(Stream source, Stream destination, long expectedLength, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var hash = Sha256.ForLength(expectedLength);
        var pool = ArrayPool<byte>.Shared;
        var chunkSize = (int)Math.Clamp(expectedLength + 1, 4096, ChunkSize);
        var receiving = pool.Rent(chunkSize);
        var spare = pool.Rent(chunkSize);
        var consuming = Task.CompletedTask;
        var received = 0L;
        var lastReported = 0L;
        try
        {
            while (true)
            {
                var n = await source.ReadAsync(receiving.AsMemory(0, chunkSize), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                received += n;
                if (received > expectedLength)
                {
                    break;
                }

                // The previous chunk is done before this one starts: writes and hash updates stay in order.
                await consuming.ConfigureAwait(false);
                var (chunk, count) = (receiving, n);
                consuming = count >= ParallelThreshold
                    ? Task.Run(() => Consume(hash, destination, chunk, count), CancellationToken.None)
                    : ConsumeInline(hash, destination, chunk, count);
                (receiving, spare) = (spare, receiving);
                if (progress is not null && received - lastReported >= 256 * 1024)
                {
                    progress.Report(received);
                    lastReported = received;
                }
            }

            await consuming.ConfigureAwait(false);
        }
        finally
        {
            // Never return a buffer (or dispose the hash) while a chunk is still being consumed.
            await consuming.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            pool.Return(receiving);
            pool.Return(spare);
        }

        return (received, hash.Finish());
    }

    private static void Consume(Sha256 hash, Stream destination, byte[] chunk, int count)
    {
        hash.Append(chunk.AsSpan(0, count));
        destination.Write(chunk, 0, count);
    }

    private static Task ConsumeInline(Sha256 hash, Stream destination, byte[] chunk, int count)
    {
        Consume(hash, destination, chunk, count);
        return Task.CompletedTask;
    }
}
