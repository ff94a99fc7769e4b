using Cel;
using Google.Protobuf.Reflection;

namespace Wasme.Testing.Kubernetes.Schema.Cel;

/// <summary>
/// A CEL environment with the parts of Kubernetes' CEL libraries that CRDs in use call (strings, URLs, optionals),
/// on top of the Cel package's standard definitions. One per thread: environments are not documented as thread-safe.
/// </summary>
internal static class CelLibrary
{
    private static readonly ThreadLocal<CelEnvironment> Environments = new(Create);

    /// <summary>Functions and macros a rule may call: a name outside these is an undeclared reference, as in kube-apiserver.</summary>
    public static readonly HashSet<string> Known =
    [
        // Standard definitions and macros.
        "has", "size", "type", "int", "uint", "double", "string", "bytes", "bool", "duration", "timestamp", "dyn",
        "matches", "contains", "startsWith", "endsWith", "all", "exists", "exists_one", "map", "filter",
        "getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek", "getHours",
        "getMinutes", "getSeconds", "getMilliseconds",
        // Kubernetes strings and URL libraries (the subset registered below).
        "substring", "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "trim", "replace",
        "url", "isURL", "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath", "getQuery",
        // Optionals, for optionalOldSelf.
        "hasValue", "value", "orValue",
    ];

    public static CelEnvironment Environment => Environments.Value!;

    private static CelEnvironment Create()
    {
        var env = new CelEnvironment(Array.Empty<FileDescriptor>(), "");
        Register(env, "substring", [typeof(string), typeof(long)], a => S(a[0]).Substring(Index(a[1], S(a[0]).Length)));
        Register(env, "substring", [typeof(string), typeof(long), typeof(long)], a =>
        {
            var text = S(a[0]);
            var start = Index(a[1], text.Length);
            var end = Index(a[2], text.Length);
            return end < start ? throw new ArgumentException($"invalid substring range. start: {start}, end: {end}") : text[start..end];
        });
        Register(env, "charAt", [typeof(string), typeof(long)], a => S(a[0]).Length == (long)a[1]! ? "" : S(a[0])[Index(a[1], S(a[0]).Length)].ToString());
        Register(env, "indexOf", [typeof(string), typeof(string)], a => (long)S(a[0]).IndexOf(S(a[1]), StringComparison.Ordinal));
        Register(env, "lastIndexOf", [typeof(string), typeof(string)], a => (long)S(a[0]).LastIndexOf(S(a[1]), StringComparison.Ordinal));
        Register(env, "lowerAscii", [typeof(string)], a => S(a[0]).ToLowerInvariant());
        Register(env, "upperAscii", [typeof(string)], a => S(a[0]).ToUpperInvariant());
        Register(env, "trim", [typeof(string)], a => S(a[0]).Trim());
        Register(env, "replace", [typeof(string), typeof(string), typeof(string)], a => S(a[0]).Replace(S(a[1]), S(a[2]), StringComparison.Ordinal));
        Register(env, "isURL", [typeof(string)], a => Uri.TryCreate(S(a[0]), UriKind.Absolute, out _) || S(a[0]).StartsWith('/'));
        Register(env, "url", [typeof(string)], a => Uri.TryCreate(S(a[0]), UriKind.Absolute, out var uri)
            ? new CelUrl(uri)
            : throw new ArgumentException($"URL parse error during conversion from string: {S(a[0])}"));
        Register(env, "getScheme", [typeof(CelUrl)], a => ((CelUrl)a[0]!).Uri.Scheme);
        Register(env, "getHost", [typeof(CelUrl)], a => ((CelUrl)a[0]!).Uri.IsDefaultPort ? ((CelUrl)a[0]!).Uri.Host : ((CelUrl)a[0]!).Uri.Authority);
        Register(env, "getHostname", [typeof(CelUrl)], a => ((CelUrl)a[0]!).Uri.Host);
        Register(env, "getPort", [typeof(CelUrl)], a => ((CelUrl)a[0]!).Uri.IsDefaultPort ? "" : ((CelUrl)a[0]!).Uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Register(env, "getEscapedPath", [typeof(CelUrl)], a => ((CelUrl)a[0]!).Uri.AbsolutePath);
        Register(env, "hasValue", [typeof(CelOptional)], a => ((CelOptional)a[0]!).HasValue);
        Register(env, "value", [typeof(CelOptional)], a => ((CelOptional)a[0]!).HasValue ? ((CelOptional)a[0]!).Value : throw new InvalidOperationException("optional.none() dereference"));
        foreach (var type in new[] { typeof(object), typeof(string), typeof(long), typeof(double), typeof(bool) })
        {
            Register(env, "orValue", [typeof(CelOptional), type], a => ((CelOptional)a[0]!).HasValue ? ((CelOptional)a[0]!).Value : a[1]);
        }

        return env;
    }

    private static void Register(CelEnvironment env, string name, Type[] types, Func<object?[], object?> function) =>
        env.RegisterFunction(name, types, args => function(args));

    private static string S(object? value) => (string)value!;

    private static int Index(object? value, int length)
    {
        var index = (long)value!;
        return index < 0 || index > length ? throw new ArgumentException($"index out of range: {index}") : (int)index;
    }
}

/// <summary>The value of <c>url(s)</c>.</summary>
internal sealed record CelUrl(Uri Uri);

/// <summary><c>oldSelf</c> under optionalOldSelf: <c>optional.none()</c> on create.</summary>
internal sealed record CelOptional(object? Value, bool HasValue);
