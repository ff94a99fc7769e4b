using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Validation.Core;

/// <summary>A pod's volumes as kube-apiserver 1.32's ValidateVolumes judges them: unique DNS-label names, one source each.</summary>
internal static class VolumeValidation
{
    // validateVolumeSource's order: the second source found is the one named in the refusal.
    private static readonly string[] Sources =
    [
        "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi", "glusterfs",
        "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc", "azureFile", "vsphereVolume",
        "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO", "configMap", "csi", "ephemeral", "image",
    ];

    private static readonly string[] HostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];

    /// <summary>Errors, and the names of the volumes that passed (mounts may name only those).</summary>
    public static (List<FieldError> Errors, HashSet<string> Names) Validate(JsonArray? volumes, string path)
    {
        var errors = new List<FieldError>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var volume in (volumes ?? []).OfType<JsonObject>())
        {
            var at = $"{path}[{index++}]";
            var name = volume.GetString("name") ?? "";
            var found = Source(volume, at).ToList();
            if (name.Length == 0)
            {
                found.Add(FieldError.Required($"{at}.name"));
            }
            else
            {
                found.AddRange(ObjectMetadata.Dns1123Label(name).Select(m => FieldError.Invalid($"{at}.name", name, m)));
            }

            if (names.Contains(name))
            {
                found.Add(Rules.Duplicate($"{at}.name", name));
            }

            if (found.Count == 0)
            {
                names.Add(name);
            }

            errors.AddRange(found);
        }

        return (errors, names);
    }

    private static IEnumerable<FieldError> Source(JsonObject volume, string at)
    {
        var count = 0;
        foreach (var source in Sources)
        {
            if (volume[source] is not JsonObject spec)
            {
                continue;
            }

            if (count++ > 0)
            {
                yield return FieldError.Forbidden($"{at}.{source}", "may not specify more than 1 volume type");
                continue;
            }

            foreach (var error in Check(source, spec, $"{at}.{source}"))
            {
                yield return error;
            }
        }

        if (count == 0)
        {
            yield return Rules.Required(at, "must specify a volume type");
        }
    }

    private static IEnumerable<FieldError> Check(string source, JsonObject spec, string at)
    {
        switch (source)
        {
            case "emptyDir":
                if (Quantity.Parse(spec["sizeLimit"]) is { Sign: < 0 })
                {
                    yield return FieldError.Forbidden($"{at}.sizeLimit", "SizeLimit field must be a valid resource quantity");
                }

                break;
            case "hostPath":
                var path = spec.GetString("path") ?? "";
                if (path.Length == 0)
                {
                    yield return FieldError.Required($"{at}.path");
                    yield break;
                }

                if (path.Split('/', '\\').Contains(".."))
                {
                    yield return FieldError.Invalid($"{at}.path", path, "must not contain '..'");
                }

                if (spec.GetString("type") is { } type && !HostPathTypes.Contains(type))
                {
                    yield return Rules.NotSupported($"{at}.type", type, HostPathTypes);
                }

                break;
            case "configMap":
            case "secret":
                var nameField = source == "secret" ? "secretName" : "name";
                if ((spec.GetString(nameField) ?? "").Length == 0)
                {
                    yield return FieldError.Required($"{at}.{nameField}");
                }

                if (Values.Long(spec["defaultMode"]) is { } mode && mode is < 0 or > 511)
                {
                    yield return Rules.Invalid($"{at}.defaultMode", mode, "must be a number between 0 and 0777 (octal), both inclusive");
                }

                break;
            case "persistentVolumeClaim":
                if ((spec.GetString("claimName") ?? "").Length == 0)
                {
                    yield return FieldError.Required($"{at}.claimName");
                }

                break;
        }
    }
}
