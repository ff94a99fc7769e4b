using Wasme.Oci.Store;

namespace Wasme.Oci.Tests;

/// <summary>A local store in a fresh temp directory, deleted on dispose.</summary>
public sealed class TestStore : IDisposable
{
    public TestStore()
    {
        Root = Directory.CreateTempSubdirectory("wasme-store-").FullName;
        Store = new LocalImageStore(Root);
    }

    public string Root { get; }

    public LocalImageStore Store { get; }

    /// <summary>Every file under the store with its bytes, to prove a failed operation changed nothing.</summary>
    public IReadOnlyDictionary<string, string> Snapshot() =>
        Directory.Exists(Root)
            ? Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".wasme.lock", StringComparison.Ordinal))
                .ToDictionary(f => Path.GetRelativePath(Root, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))))
            : new Dictionary<string, string>();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
