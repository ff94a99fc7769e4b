using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Resources;

/// <summary>
/// Checks of metadata that every kind shares, with the rules and wording of apimachinery's ObjectMeta validation
/// (k8s.io/apimachinery/pkg/api/validation and pkg/util/validation, 1.32).
/// </summary>
internal static partial class ObjectMetadata
{
    /// <summary>kube-apiserver's limit on the sum of every annotation key and value, in bytes.</summary>
    public const int TotalAnnotationSizeLimit = 256 * 1024;

    /// <summary>A generated name is the prefix cut to this length plus five random characters (63 in all).</summary>
    public const int MaxGeneratedNamePrefix = 58;

    private const int QualifiedNameMaxLength = 63;
    private const string SubdomainFormat = @"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
    private const string QualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string QualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private static readonly string[] StandardFinalizers = ["orphan", "foregroundDeletion", "kubernetes"];

    private static readonly HashSet<string> ObjectMetaFields =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    public static string Timestamp(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>What kube-apiserver checks of a new object's metadata, in its order: generateName, name, labels, annotations, finalizers.</summary>
    public static IEnumerable<FieldError> ValidateCreate(ResourceType type, JsonObject obj)
    {
        var metadata = obj.Metadata();
        var name = obj.Name();
        if (metadata.GetString("generateName") is { Length: > 0 } generateName)
        {
            foreach (var message in NameRule(type, MaskTrailingDash(generateName)))
            {
                yield return FieldError.Invalid("metadata.generateName", generateName, message);
            }
        }

        if (name.Length == 0)
        {
            yield return new FieldError("metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
        }
        else
        {
            foreach (var message in NameRule(type, name))
            {
                yield return FieldError.Invalid("metadata.name", name, message);
            }
        }

        foreach (var error in ValidateUpdate(obj))
        {
            yield return error;
        }

        foreach (var error in FinalizerNames(obj))
        {
            yield return error;
        }
    }

    /// <summary>
    /// What an update's metadata gets, as rest.BeforeUpdate asks apimachinery: the create checks again (labels,
    /// annotations, owner references, finalizer names), then ValidateObjectMetaAccessorUpdate's immutable uid.
    /// Name and namespace are the handler's (400 before this); timestamps and generation are put back, not judged.
    /// </summary>
    public static IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var error in ValidateUpdate(obj).Concat(FinalizerNames(obj)))
        {
            yield return error;
        }

        if (obj.Uid() is { Length: > 0 } uid && uid != old.Uid())
        {
            yield return FieldError.Invalid("metadata.uid", uid, "field is immutable");
        }
    }

    /// <summary>apimachinery's ValidateFinalizers: each a qualified name, and not both orphan and foregroundDeletion.</summary>
    private static IEnumerable<FieldError> FinalizerNames(JsonObject obj)
    {
        var finalizers = obj.Finalizers();
        foreach (var finalizer in finalizers)
        {
            foreach (var message in QualifiedName(finalizer))
            {
                yield return FieldError.Invalid("metadata.finalizers", finalizer, message);
            }
        }

        if (finalizers.Contains("orphan") && finalizers.Contains("foregroundDeletion"))
        {
            var list = string.Join(", ", finalizers.Select(Json.GoSyntax.Quote));
            yield return new FieldError("metadata.finalizers", "FieldValueInvalid",
                $"Invalid value: []string{{{list}}}: finalizer orphan and foregroundDeletion cannot be both set");
        }
    }

    /// <summary>What kube-apiserver checks of metadata on every write: labels, annotations and owner references.</summary>
    public static IEnumerable<FieldError> ValidateUpdate(JsonObject obj)
    {
        foreach (var error in OwnerReferences(obj))
        {
            yield return error;
        }


        if (obj["metadata"]?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                foreach (var message in QualifiedName(key))
                {
                    yield return FieldError.Invalid("metadata.labels", key, message);
                }

                var text = value?.ToString() ?? "";
                foreach (var message in LabelValue(text))
                {
                    yield return FieldError.Invalid("metadata.labels", text, message);
                }
            }
        }

        if (obj["metadata"]?["annotations"] is JsonObject annotations)
        {
            long total = 0;
            foreach (var (key, value) in annotations)
            {
                // The rule is a qualified name, except that case does not matter.
                foreach (var message in QualifiedName(key.ToLowerInvariant()))
                {
                    yield return FieldError.Invalid("metadata.annotations", key, message);
                }

                total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value?.ToString() ?? "");
            }

            if (total > TotalAnnotationSizeLimit)
            {
                yield return new FieldError("metadata.annotations", "FieldValueTooLong",
                    $"Too long: may not be more than {TotalAnnotationSizeLimit.ToString(CultureInfo.InvariantCulture)} bytes");
            }
        }
    }

    /// <summary>
    /// apimachinery's ValidateOwnerReferences: each reference needs a version (parsed from apiVersion), a kind, a name and
    /// a uid; a v1 Event may not own anything; one reference at most is the controller. Every error names the list itself,
    /// not the entry.
    /// </summary>
    private static IEnumerable<FieldError> OwnerReferences(JsonObject obj)
    {
        if (obj["metadata"]?["ownerReferences"] is not JsonArray references)
        {
            yield break;
        }

        const string Field = "metadata.ownerReferences";
        string? firstController = null;
        foreach (var reference in references.OfType<JsonObject>())
        {
            var apiVersion = reference.GetString("apiVersion") ?? "";
            var kind = reference.GetString("kind") ?? "";
            var name = reference.GetString("name") ?? "";
            var uid = reference.GetString("uid") ?? "";
            // schema.ParseGroupVersion: "v1" or "group/version"; anything else (empty, two slashes) has no version.
            var parts = apiVersion.Split('/');
            var version = parts.Length switch
            {
                1 => parts[0],
                2 => parts[1],
                _ => "",
            };
            if (version.Length == 0)
            {
                yield return FieldError.Invalid(Field + ".apiVersion", apiVersion, "version must not be empty");
            }

            if (kind.Length == 0)
            {
                yield return FieldError.Invalid(Field + ".kind", kind, "kind must not be empty");
            }

            if (name.Length == 0)
            {
                yield return FieldError.Invalid(Field + ".name", name, "name must not be empty");
            }

            if (uid.Length == 0)
            {
                yield return FieldError.Invalid(Field + ".uid", uid, "uid must not be empty");
            }

            if (apiVersion == "v1" && kind == "Event")
            {
                yield return new FieldError(Field, "FieldValueInvalid", $"Invalid value: {GoSyntax(reference)}: /v1, Kind=Event is disallowed from being an owner");
            }

            if (reference["controller"] is JsonValue controller && controller.TryGetValue<bool>(out var isController) && isController)
            {
                var current = kind + "/" + name;
                if (firstController is null)
                {
                    firstController = current;
                }
                else
                {
                    yield return new FieldError(Field, "FieldValueInvalid",
                        $"Invalid value: []v1.OwnerReference{{{string.Join(", ", references.OfType<JsonObject>().Select(GoSyntax))}}}: " +
                        $"Only one reference can have Controller set to true. Found \"true\" in references for {firstController} and {current}");
                }
            }
        }
    }

    // How Go's %#v prints a v1.OwnerReference in a field error (1.32): pointers print as addresses, which differ per
    // process anyway.
    private static string GoSyntax(JsonObject reference)
    {
        static string Pointer(JsonNode? value) => value is null ? "(*bool)(nil)" : "(*bool)(0xc000a1b2c0)";
        return $"v1.OwnerReference{{APIVersion:\"{reference.GetString("apiVersion")}\", Kind:\"{reference.GetString("kind")}\", Name:\"{reference.GetString("name")}\", " +
            $"UID:\"{reference.GetString("uid")}\", Controller:{Pointer(reference["controller"])}, BlockOwnerDeletion:{Pointer(reference["blockOwnerDeletion"])}}}";
    }

    /// <summary>
    /// The warnings apiextensions-apiserver gives for finalizers a write adds to a custom resource: a finalizer
    /// should be domain-qualified, with a path, so that two controllers never share one by accident.
    /// </summary>
    public static IEnumerable<string> FinalizerWarnings(JsonObject obj, JsonObject? old)
    {
        var added = obj.Finalizers().Except(old?.Finalizers() ?? []).Distinct().Order(StringComparer.Ordinal);
        foreach (var finalizer in added)
        {
            foreach (var message in QualifiedName(finalizer))
            {
                yield return $"metadata.finalizers: \"{finalizer}\": {message}";
            }

            if (!finalizer.Contains('/', StringComparison.Ordinal) && !StandardFinalizers.Contains(finalizer))
            {
                yield return finalizer.Contains('.', StringComparison.Ordinal)
                    ? $"metadata.finalizers: \"{finalizer}\": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers"
                    : $"metadata.finalizers: \"{finalizer}\": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers";
            }
        }
    }

    /// <summary>
    /// Removes the fields ObjectMeta does not have from a custom resource's metadata and returns their paths
    /// (<c>metadata.labelz</c>): apiextensions-apiserver decodes metadata into ObjectMeta, which drops them, and
    /// reports them first among the unknown fields. Only top-level fields are checked.
    /// </summary>
    public static IReadOnlyList<string> PruneUnknown(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            return [];
        }

        var unknown = metadata.Select(p => p.Key).Where(k => !ObjectMetaFields.Contains(k)).Order(StringComparer.Ordinal).ToList();
        foreach (var key in unknown)
        {
            metadata.Remove(key);
        }

        return unknown.Select(k => "metadata." + k).ToList();
    }

    /// <summary>The name a <c>generateName</c> prefix gives: cut to 58 characters, then five random ones.</summary>
    public static string GenerateName(string prefix, string suffix) =>
        (prefix.Length > MaxGeneratedNamePrefix ? prefix[..MaxGeneratedNamePrefix] : prefix) + suffix;

    /// <summary>
    /// Names of most kinds are DNS subdomains; Namespaces are DNS labels, Services DNS-1035 labels. core/v1 Events get
    /// only the legacy event rules, which leave the name to the generic check: a path segment.
    /// </summary>
    private static IEnumerable<string> NameRule(ResourceType type, string name) => (type.Group, type.Plural) switch
    {
        ("", "namespaces") => Dns1123Label(name),
        ("", "services") => Dns1035Label(name),
        ("", "events") => PathSegment(name),
        _ => Dns1123Subdomain(name),
    };

    /// <summary>apimachinery's IsValidPathSegmentName: what a name must be to sit in a URL.</summary>
    internal static IEnumerable<string> PathSegment(string name)
    {
        if (name is "." or "..")
        {
            yield return $"may not be '{name}'";
        }

        foreach (var illegal in new[] { "/", "%" })
        {
            if (name.Contains(illegal, StringComparison.Ordinal))
            {
                yield return $"may not contain '{illegal}'";
            }
        }
    }

    /// <summary>A prefix may end in '-': kube-apiserver masks it (its last two characters become "a") before checking.</summary>
    private static string MaskTrailingDash(string name) =>
        name.Length > 1 && name.EndsWith('-') ? name[..^2] + "a" : name;

    internal static IEnumerable<string> Dns1123Subdomain(string value)
    {
        if (ByteLength(value) > 253)
        {
            yield return MaxLength(253);
        }

        if (!Subdomain().IsMatch(value))
        {
            yield return RegexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", SubdomainFormat, "example.com");
        }
    }

    internal static IEnumerable<string> Dns1123Label(string value)
    {
        if (ByteLength(value) > 63)
        {
            yield return MaxLength(63);
        }

        if (!Label1123().IsMatch(value))
        {
            yield return Subdomain().IsMatch(value)
                ? "must not contain dots"
                : RegexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", "[a-z0-9]([-a-z0-9]*[a-z0-9])?", "my-name", "123-abc");
        }
    }

    internal static IEnumerable<string> Dns1035Label(string value)
    {
        if (ByteLength(value) > 63)
        {
            yield return MaxLength(63);
        }

        if (!Label1035().IsMatch(value))
        {
            yield return RegexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", "[a-z]([-a-z0-9]*[a-z0-9])?", "my-name", "abc-123");
        }
    }

    /// <summary>A qualified name: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    internal static List<string> QualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(Dns1123Subdomain(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                errors.Add("a qualified name " + RegexError(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }

        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (ByteLength(name) > QualifiedNameMaxLength)
        {
            errors.Add("name part " + MaxLength(QualifiedNameMaxLength));
        }

        if (!Qualified().IsMatch(name))
        {
            errors.Add("name part " + RegexError(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc"));
        }

        return errors;
    }

    internal static IEnumerable<string> LabelValue(string value)
    {
        if (ByteLength(value) > 63)
        {
            yield return MaxLength(63);
        }

        if (!LabelValuePattern().IsMatch(value))
        {
            yield return RegexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", "(" + QualifiedNameFormat + ")?", "MyValue", "my_value", "12345");
        }
    }

    private static int ByteLength(string value) => Encoding.UTF8.GetByteCount(value);

    internal static string MaxLength(int length) => $"must be no more than {length.ToString(CultureInfo.InvariantCulture)} characters";

    /// <summary>apimachinery's wording: the rule, then examples, each followed by a comma, joined by " or ".</summary>
    internal static string RegexError(string message, string format, params string[] examples) =>
        $"{message} (e.g. {string.Join(" or ", examples.Select(e => $"'{e}', "))}regex used for validation is '{format}')";

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label1123();

    [GeneratedRegex(@"^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label1035();

    [GeneratedRegex(@"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValuePattern();
}
