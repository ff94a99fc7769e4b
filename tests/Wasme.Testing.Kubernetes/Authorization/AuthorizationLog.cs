using System.Collections.Concurrent;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>One authorization decision: who asked to do what, and whether RBAC allowed it.</summary>
public sealed record AuthorizationRecord(
    string User, string Verb, bool IsResourceRequest, string ApiGroup, string Resource, string Namespace, string Name, string Path, bool Allowed)
{
    internal static AuthorizationRecord Of(RequestAttributes request, bool allowed) => new(
        request.User.Name, request.Verb, request.IsResourceRequest, request.ApiGroup, request.CombinedResource, request.Namespace, request.Name,
        request.Path, allowed);
}

/// <summary>
/// Every authorization decision in order, so a test can show which permissions an identity really used
/// (for example that every rule a ServiceAccount is granted was needed). Bounded like <c>RequestLog</c>.
/// </summary>
public sealed class AuthorizationLog
{
    private const int Limit = 100_000;
    private readonly ConcurrentQueue<AuthorizationRecord> _records = new();

    public IReadOnlyList<AuthorizationRecord> Snapshot() => [.. _records];

    /// <summary>The decisions made for one user, e.g. <c>system:serviceaccount:wasme:wasme-operator</c>.</summary>
    public IReadOnlyList<AuthorizationRecord> For(string user) => [.. _records.Where(r => r.User == user)];

    public void Clear() => _records.Clear();

    internal void Add(AuthorizationRecord record)
    {
        _records.Enqueue(record);
        while (_records.Count > Limit && _records.TryDequeue(out _))
        {
        }
    }
}
