using Wasme.Cache.Tests.Support;

namespace Wasme.Cache.Tests.Deploy;

public sealed class ToolPackageTests
{
    /// <summary>Slow (packs the whole CLI): the one test of eng/pack-tool.sh, without the native compile (--jit-only).</summary>
    [Fact]
    public async Task Tool_package_installs_offline_and_reports_its_version()
    {
        var output = Directory.CreateTempSubdirectory("wasme-tool-").FullName;
        try
        {
            var result = await ExternalProcess.RunAsync("bash", ["eng/pack-tool.sh", "--jit-only", output]);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("installed wasme.0.1.0.nupkg", result.Output, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^0\.1\.0", result.Output.Split("installed")[1]);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
