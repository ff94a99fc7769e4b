namespace Wasme.Architecture.Tests;

/// <summary>The repository the tests read sources and project files from: the folder holding Wasme.slnx above the test binaries.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wasme.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Wasme.slnx not found above the test binaries");
    }
}
