using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Http;

/// <summary>Server-side printing: the <c>meta.k8s.io/v1 Table</c> that <c>kubectl get</c> asks for.</summary>
internal static partial class Tables
{
    public static bool Wanted(string? accept) => accept is not null && accept.Contains("as=Table", StringComparison.Ordinal);

    public static JsonObject Render(ResourceType type, IReadOnlyList<JsonObject> objects, string resourceVersion, string includeObject, DateTimeOffset now)
    {
        var columns = new JsonArray(new JsonObject
        {
            ["name"] = "Name",
            ["type"] = "string",
            ["format"] = "name",
            ["description"] = "Name must be unique within a namespace.",
            ["priority"] = 0,
        });
        var custom = type.PrinterColumns;
        foreach (var column in custom)
        {
            columns.Add(new JsonObject
            {
                ["name"] = column.Name,
                ["type"] = column.Type,
                ["format"] = column.Format ?? "",
                ["description"] = column.Description,
                ["priority"] = column.Priority,
            });
        }

        if (!custom.Any(c => c.JsonPath == ".metadata.creationTimestamp"))
        {
            columns.Add(new JsonObject
            {
                ["name"] = "Age",
                ["type"] = "date",
                ["format"] = "",
                ["description"] = "CreationTimestamp is a timestamp representing the server time when this object was created.",
                ["priority"] = 0,
            });
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray(obj.Name());
            foreach (var column in custom)
            {
                cells.Add(Cell(obj, column, now));
            }

            if (!custom.Any(c => c.JsonPath == ".metadata.creationTimestamp"))
            {
                cells.Add(Age(obj["metadata"]?["creationTimestamp"]?.GetValue<string>(), now));
            }

            rows.Add(new JsonObject
            {
                ["cells"] = cells,
                ["object"] = includeObject switch
                {
                    "None" => null,
                    "Object" => obj.DeepClone(),
                    _ => new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = obj["metadata"]?.DeepClone(),
                    },
                },
            });
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = columns,
            ["rows"] = rows,
        };
    }

    private static JsonNode? Cell(JsonObject obj, PrinterColumn column, DateTimeOffset now)
    {
        var value = Evaluate(obj, column.JsonPath);
        if (column.Type == "date")
        {
            return Age(value.AsText(), now);
        }

        return value?.DeepClone() ?? (JsonNode?)null;
    }

    /// <summary>The subset of JSONPath printer columns use: <c>.a.b</c>, <c>.a[0]</c>, <c>.a[?(@.type=="Ready")].status</c>.</summary>
    internal static JsonNode? Evaluate(JsonNode? node, string path)
    {
        foreach (Match step in PathStep().Matches(path.Trim().TrimStart('{').TrimEnd('}')))
        {
            if (step.Groups["name"].Success)
            {
                node = node is JsonObject obj ? obj[step.Groups["name"].Value] : null;
            }
            else if (step.Groups["index"].Success)
            {
                var index = int.Parse(step.Groups["index"].Value, CultureInfo.InvariantCulture);
                node = node is JsonArray array && index < array.Count ? array[index] : null;
            }
            else
            {
                var key = step.Groups["key"].Value;
                var wanted = step.Groups["value"].Value;
                node = node is JsonArray array
                    ? array.OfType<JsonObject>().FirstOrDefault(o => o[key].AsText() == wanted)
                    : null;
            }
        }

        return node;
    }

    /// <summary>kubectl's HumanDuration: 45s, 3m20s, 5h, 2d3h, 400d.</summary>
    internal static string Age(string? timestamp, DateTimeOffset now)
    {
        if (timestamp is null || !DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            return "<unknown>";
        }

        var age = now - created;
        var seconds = (long)age.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        seconds = Math.Max(seconds, 0);
        var minutes = seconds / 60;
        var hours = minutes / 60;
        var days = hours / 24;
        return seconds switch
        {
            < 60 * 2 => $"{seconds}s",
            _ when minutes < 10 => seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s",
            _ when minutes < 60 * 3 => $"{minutes}m",
            _ when hours < 8 => minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m",
            _ when hours < 48 => $"{hours}h",
            _ when hours < 24 * 8 => hours % 24 == 0 ? $"{days}d" : $"{days}d{hours % 24}h",
            _ when days < 365 * 2 => $"{days}d",
            _ when days < 365 * 8 => days % 365 == 0 ? $"{days / 365}y" : $"{days / 365}y{days % 365}d",
            _ => $"{days / 365}y",
        };
    }

    [GeneratedRegex("""\.(?<name>[A-Za-z0-9_\-]+)|\[(?<index>[0-9]+)\]|\[\?\(@\.(?<key>[A-Za-z0-9_\-]+)\s*==\s*["'](?<value>[^"']*)["']\)\]""")]
    private static partial Regex PathStep();
}
