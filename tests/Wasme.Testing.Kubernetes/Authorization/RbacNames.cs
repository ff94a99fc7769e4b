using Wasme.Testing.Kubernetes.Http;

namespace Wasme.Testing.Kubernetes.Authorization;

/// <summary>RBAC objects are named as URL path segments, not DNS subdomains, so <c>system:discovery</c> is a valid name.</summary>
internal static class RbacNames
{
    public const string Group = "rbac.authorization.k8s.io";

    public static IEnumerable<FieldError> Validate(string name)
    {
        if (name.Length == 0)
        {
            yield return new FieldError("metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
            yield break;
        }

        if (name is "." or "..")
        {
            yield return FieldError.Invalid("metadata.name", name, $"may not be '{name}'");
        }

        foreach (var illegal in new[] { "/", "%" })
        {
            if (name.Contains(illegal, StringComparison.Ordinal))
            {
                yield return FieldError.Invalid("metadata.name", name, $"may not contain '{illegal}'");
            }
        }
    }
}
