namespace Wasme.Operator.Tests.Support;

internal static class RepositoryFiles
{
    /// <summary>The repository root (the directory holding Wasme.slnx), found from the test binaries upwards.</summary>
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Wasme.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Wasme.slnx not found above " + AppContext.BaseDirectory);
    }
}
