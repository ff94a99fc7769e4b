namespace Wasme.Cli.Tests.Run;

public sealed class RunClusterFlagTests
{
    [Fact]
    public async Task A_cluster_name_given_twice_is_a_usage_error_instead_of_the_last_winning()
    {
        await using var wasme = await RunningWasme.StartAsync("--cluster", "auth=http://127.0.0.1:9001", "--cluster", "auth=http://127.0.0.1:9002", "--echo-upstream");

        Assert.Equal(ExitCodes.UsageError, wasme.ExitCode);
        Assert.Contains("--cluster: 'auth' is given twice (http://127.0.0.1:9001/ and http://127.0.0.1:9002/); give each name once", wasme.Error.Output, StringComparison.Ordinal);
    }
}
