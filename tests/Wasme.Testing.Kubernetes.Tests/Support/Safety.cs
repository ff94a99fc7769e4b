namespace Wasme.Testing.Kubernetes.Tests.Support;

/// <summary>A generous bound on waits that should end, so a regression fails the test instead of hanging the run. Not a timing assertion.</summary>
internal static class Safety
{
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static Task WithinLimit(this Task task) => task.WaitAsync(Limit);

    public static Task<T> WithinLimit<T>(this Task<T> task) => task.WaitAsync(Limit);
}
