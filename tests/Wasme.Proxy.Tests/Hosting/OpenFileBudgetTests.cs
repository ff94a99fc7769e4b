using Wasme.Proxy.Hosting;

namespace Wasme.Proxy.Tests.Hosting;

/// <summary>
/// Each TCP connection holds two file descriptors (client and upstream); a process that runs out of them fails in ways
/// it cannot recover from, so the connection limit is kept inside the open-file limit.
/// </summary>
public sealed class OpenFileBudgetTests
{
    [Theory]
    [InlineData(1024, 1048576L, 1024)] // plenty: the limit stands
    [InlineData(1024, 4096L, 1024)]
    [InlineData(1024, 1024L, 256)] // (1024 - 512 kept for the process) / 2
    [InlineData(1024, 600L, 44)]
    [InlineData(1024, 300L, 1)] // never below one
    [InlineData(5000, null, 5000)] // unknown (not Linux): the limit stands
    public void The_connection_limit_fits_the_open_file_limit(int maxConnections, long? openFiles, int expected)
    {
        Assert.Equal(expected, OpenFileBudget.FitConnections(maxConnections, openFiles));
    }

    [Fact]
    public void The_open_file_limit_is_read_from_proc_on_linux()
    {
        var limit = OpenFileBudget.ReadLimit();

        if (OperatingSystem.IsLinux())
        {
            Assert.NotNull(limit);
            Assert.True(limit > 0);
        }
    }
}
