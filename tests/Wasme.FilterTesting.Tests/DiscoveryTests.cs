namespace Wasme.FilterTesting.Tests;

public sealed class DiscoveryTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("wasme-discovery-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void A_link_back_up_the_tree_is_not_followed_and_each_file_is_found_once()
    {
        // `up -> ..` made the search run every test once per level until the path grew too long (41 times).
        var tests = _directory.CreateSubdirectory("tests");
        File.WriteAllText(Path.Combine(tests.FullName, "a.yaml"), "tests: []\n");
        Directory.CreateSymbolicLink(Path.Combine(tests.FullName, "up"), _directory.FullName);

        var files = FilterTestSuite.Discover([tests.FullName]);

        Assert.Equal([Path.Combine(tests.FullName, "a.yaml")], files);
    }

    [Fact]
    public void A_linked_test_file_is_found()
    {
        var shared = _directory.CreateSubdirectory("shared");
        var tests = _directory.CreateSubdirectory("tests");
        File.WriteAllText(Path.Combine(shared.FullName, "golden.yaml"), "tests: []\n");
        File.CreateSymbolicLink(Path.Combine(tests.FullName, "golden.yaml"), Path.Combine(shared.FullName, "golden.yaml"));

        var files = FilterTestSuite.Discover([tests.FullName]);

        Assert.Equal([Path.Combine(tests.FullName, "golden.yaml")], files);
    }
}
