namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>The resources the server serves right now: built-ins plus those of established CRDs.</summary>
public sealed class ResourceRegistry
{
    private readonly Lock _gate = new();
    private readonly List<ResourceType> _builtIn;
    private readonly Dictionary<string, IReadOnlyList<ResourceType>> _custom = new(StringComparer.Ordinal);

    internal ResourceRegistry(IEnumerable<ResourceType> builtIn)
    {
        _builtIn = [.. builtIn];
    }

    /// <summary>Every served resource, built-ins first, in a stable order.</summary>
    public IReadOnlyList<ResourceType> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _builtIn, .. _custom.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value)];
            }
        }
    }

    public ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    public ResourceType? FindByKind(string apiVersion, string kind) =>
        All.FirstOrDefault(r => r.ApiVersion == apiVersion && r.Kind == kind);

    /// <summary>Group versions in discovery order (built-in groups first, preferred version first within a group).</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups()
    {
        var groups = new List<(string Group, List<string> Versions)>();
        foreach (var resource in All)
        {
            var index = groups.FindIndex(g => g.Group == resource.Group);
            if (index < 0)
            {
                groups.Add((resource.Group, [resource.Version]));
            }
            else if (!groups[index].Versions.Contains(resource.Version))
            {
                groups[index].Versions.Add(resource.Version);
            }
        }

        return groups.Select(g => (g.Group, (IReadOnlyList<string>)g.Versions)).ToList();
    }

    /// <summary>Serves (or re-serves) the versions of one CRD, keyed by its name.</summary>
    internal void SetCustom(string crdName, IReadOnlyList<ResourceType> versions)
    {
        lock (_gate)
        {
            _custom[crdName] = versions;
        }
    }

    internal void RemoveCustom(string crdName)
    {
        lock (_gate)
        {
            _custom.Remove(crdName);
        }
    }
}
