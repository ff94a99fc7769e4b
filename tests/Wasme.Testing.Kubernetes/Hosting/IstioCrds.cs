namespace Wasme.Testing.Kubernetes;

/// <summary>Locates Istio's customresourcedefinitions.gen.yaml (the project's shared/istio copy).</summary>
public static class IstioCrds
{
    public const string EnvironmentVariable = "WASME_ISTIO_CRDS";
    private const string RelativePath = "shared/istio/customresourcedefinitions.gen.yaml";

    /// <summary><c>$WASME_ISTIO_CRDS</c>, else the nearest <c>shared/istio/</c> beside the repository or any parent; null if none.</summary>
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
}
