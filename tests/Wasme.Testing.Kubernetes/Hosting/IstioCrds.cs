using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes;

/// <summary>Locates Istio's customresourcedefinitions.gen.yaml (vendored in the repository's third_party/istio).</summary>
public static class IstioCrds
{
    public const string EnvironmentVariable = "WASME_ISTIO_CRDS";
    private const string RelativePath = "third_party/istio/customresourcedefinitions.gen.yaml";

    // Parsing the ~1 MB file dominates a test's setup; every server in the process shares one parse.
    private static readonly ConcurrentDictionary<(string Path, DateTime Modified), Lazy<Task<IReadOnlyList<JsonObject>>>> Parsed = new();

    /// <summary><c>$WASME_ISTIO_CRDS</c>, else the repository's <c>third_party/istio/</c> found above the binaries or the working directory; null if none.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, RelativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>The CRD documents of <paramref name="path"/>, parsed once per process; callers clone before changing them.</summary>
    internal static Task<IReadOnlyList<JsonObject>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var parse = Parsed.GetOrAdd((full, File.GetLastWriteTimeUtc(full)), key => new Lazy<Task<IReadOnlyList<JsonObject>>>(async () =>
        {
            var text = await File.ReadAllTextAsync(key.Path, CancellationToken.None);
            return YamlJson.ParseDocuments(text).OfType<JsonObject>().ToList();
        }));
        return parse.Value.WaitAsync(cancellationToken);
    }
}
