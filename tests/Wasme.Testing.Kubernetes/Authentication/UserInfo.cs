namespace Wasme.Testing.Kubernetes.Authentication;

/// <summary>Who made a request, as kube-apiserver's authenticators report it: a user name and its groups.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public const string AuthenticatedGroup = "system:authenticated";
    public const string UnauthenticatedGroup = "system:unauthenticated";
    public const string MastersGroup = "system:masters";
    public const string ServiceAccountsGroup = "system:serviceaccounts";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>The kubeconfig's admin: like kind's <c>kubernetes-admin</c>, a member of <c>system:masters</c>.</summary>
    public static UserInfo Admin { get; } = new("kubernetes-admin", [MastersGroup, AuthenticatedGroup]);

    /// <summary>A request without credentials, when anonymous requests are allowed (kube-apiserver's default).</summary>
    public static UserInfo Anonymous { get; } = new("system:anonymous", [UnauthenticatedGroup]);

    public static UserInfo ServiceAccount(string ns, string name) =>
        new($"{ServiceAccountPrefix}{ns}:{name}", [ServiceAccountsGroup, $"{ServiceAccountsGroup}:{ns}", AuthenticatedGroup]);

    /// <summary>The namespace and name when this user is a ServiceAccount (<c>system:serviceaccount:NS:NAME</c>).</summary>
    public (string Namespace, string Name)? AsServiceAccount() =>
        Name.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) && Name[ServiceAccountPrefix.Length..].Split(':') is [{ Length: > 0 } ns, { Length: > 0 } name]
            ? (ns, name)
            : null;

    public bool IsMaster => Groups.Contains(MastersGroup);
}
