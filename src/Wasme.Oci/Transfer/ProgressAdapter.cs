namespace Wasme.Oci.Transfer;

/// <summary>
/// Calls back on the reporting thread. <see cref="Progress{T}"/> posts to the thread pool, so its
/// byte counts could arrive after the blob's Done report and move a finished bar backwards.
/// </summary>
internal sealed class ProgressAdapter<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
