using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Wasme.FilterTesting.Parsing;

/// <summary>Reads typed values out of YAML nodes, failing with the file, line and a fix.</summary>
internal sealed class YamlValues(string path)
{
    private const long MaxExpandedValues = 1_000_000;

    public FilterTestFileException Error(YamlNode node, string message) =>
        new(path, (int)node.Start.Line, (int)node.Start.Column, message);

    public YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value lines)");

    public YamlSequenceNode Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list (lines starting with '- ')");

    public string Scalar(YamlNode node, string what) =>
        IsBinary(node) ? throw Error(node, $"{what} is tagged !!binary, which only bodies and messages take; write the value as text")
        : node is YamlScalarNode { Value: { } value } ? value
        : throw Error(node, $"{what} must be a single value, not a list or mapping");

    /// <summary>True for a scalar tagged <c>!!binary</c>: YAML's base64 of exact bytes.</summary>
    public static bool IsBinary(YamlNode node) =>
        node is YamlScalarNode { Tag: { IsEmpty: false, IsNonSpecific: false } tag } && tag.Value == "tag:yaml.org,2002:binary";

    /// <summary>A scalar's bytes: its base64 when tagged <c>!!binary</c> (bytes that are not UTF-8 text), else its UTF-8 text.</summary>
    public byte[] Bytes(YamlNode node, string what)
    {
        if (!IsBinary(node))
        {
            return System.Text.Encoding.UTF8.GetBytes(Scalar(node, what));
        }

        var text = ((YamlScalarNode)node).Value ?? "";
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw Error(node, $"{what} is tagged !!binary but is not base64; write the bytes as standard base64 (A-Z, a-z, 0-9, +, /, = padding)");
        }
    }

    /// <summary>The mapping's entries by key, refusing keys the format does not know (a typo would otherwise be ignored).</summary>
    public Dictionary<string, YamlNode> Entries(YamlMappingNode mapping, string what, params string[] allowed)
    {
        var entries = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = Scalar(keyNode, $"a key of {what}");
            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                throw Error(keyNode, $"unknown key '{key}' in {what}; expected one of: {string.Join(", ", allowed)}");
            }

            if (!entries.TryAdd(key, value))
            {
                throw Error(keyNode, $"'{key}' appears twice in {what}");
            }
        }

        return entries;
    }

    public int Integer(YamlNode node, string what, int min, int max)
    {
        var text = Scalar(node, what);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Error(node, $"{what} must be a whole number from {min} to {max}, not '{text}'");
    }

    public long Long(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(node, $"{what} must be a whole number, not '{text}'");
    }

    public bool Boolean(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        return text switch
        {
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => throw Error(node, $"{what} must be true or false, not '{text}'"),
        };
    }

    /// <summary>Durations as the CLI writes them: 250ms, 30s, 5m, 1h.</summary>
    public TimeSpan Duration(YamlNode node, string what)
    {
        var text = Scalar(node, what).Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : text.EndsWith('m') ? (text[..^1], 60_000.0)
            : text.EndsWith('h') ? (text[..^1], 3_600_000.0)
            : (text, double.NaN);
        if (double.IsNaN(unit) || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value >= 0 && value <= 1e7))
        {
            throw Error(node, $"{what} must be a duration such as 250ms, 30s, 5m or 1h, not '{text}'");
        }

        return TimeSpan.FromMilliseconds(value * unit);
    }

    /// <summary>name: value pairs; a list value gives the header several times, in order.</summary>
    public List<KeyValuePair<string, string>> Pairs(YamlNode node, string what)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var (keyNode, value) in Mapping(node, what).Children)
        {
            var key = Scalar(keyNode, $"a name in {what}");
            if (value is YamlSequenceNode list)
            {
                pairs.AddRange(list.Children.Select(item => new KeyValuePair<string, string>(key, Scalar(item, $"{what}.{key}"))));
            }
            else
            {
                pairs.Add(new(key, Scalar(value, $"{what}.{key}")));
            }
        }

        return pairs;
    }

    public Dictionary<string, string> StringMap(YamlNode node, string what) =>
        Pairs(node, what).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);

    /// <summary>YAML as the JSON it denotes: plain scalars that look like numbers, booleans or null become those.</summary>
    public JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(p => new KeyValuePair<string, JsonNode?>(Scalar(p.Key, "a key of a mapping sent as JSON"), ToJson(p.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        _ when IsBinary(node) => throw Error(node, "a value sent as JSON is tagged !!binary, which only bodies and messages take; write the value as text"),
        // !!str makes a plain 1 or true text, as YAML means it.
        YamlScalarNode scalar when scalar.Style is ScalarStyle.Plain && scalar.Tag.IsEmpty => PlainScalar(scalar.Value ?? ""),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        _ => null,
    };

    /// <summary>
    /// Refuses tags the format gives no meaning (all but <c>!!str</c>, <c>!!map</c>, <c>!!seq</c> and <c>!!binary</c>):
    /// values are read as written, so a custom tag (<c>!Ref</c>, <c>!include</c>) or a type tag (<c>!!int a</c>) was
    /// dropped unseen and the value used as it stood.
    /// </summary>
    public void RefuseTags(YamlNode root)
    {
        var seen = new HashSet<YamlNode>(ReferenceEqualityComparer.Instance);
        Visit(root);

        void Visit(YamlNode node)
        {
            if (!seen.Add(node))
            {
                return;
            }

            var tag = node.Tag;
            if (!tag.IsEmpty && !tag.IsNonSpecific && (tag.Value, node) is not
                ("tag:yaml.org,2002:str" or "tag:yaml.org,2002:binary", YamlScalarNode) and not
                ("tag:yaml.org,2002:map", YamlMappingNode) and not
                ("tag:yaml.org,2002:seq", YamlSequenceNode))
            {
                var shown = tag.Value.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal) ? "!!" + tag.Value["tag:yaml.org,2002:".Length..] : tag.Value;
                throw Error(node, $"the tag {shown} means nothing in a test file; remove it (values are read as written; !!binary gives a body's exact bytes)");
            }

            switch (node)
            {
                case YamlMappingNode mapping:
                    foreach (var (key, value) in mapping.Children)
                    {
                        Visit(key);
                        Visit(value);
                    }

                    break;
                case YamlSequenceNode sequence:
                    foreach (var item in sequence.Children)
                    {
                        Visit(item);
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// Refuses a document whose aliases (<c>*name</c>) expand to more values than any test needs: each alias is
    /// a copy when read, so a few lines of nested aliases would otherwise take all the machine's memory.
    /// </summary>
    public void RefuseExpansionBomb(YamlNode root)
    {
        var sizes = new Dictionary<YamlNode, long>(ReferenceEqualityComparer.Instance);
        Size(root);

        long Size(YamlNode node)
        {
            if (sizes.TryGetValue(node, out var known))
            {
                return known;
            }

            sizes[node] = 1; // a node that (through a merge) contains itself counts once
            var children = node switch
            {
                YamlMappingNode mapping => mapping.Children.Sum(p => Size(p.Key) + Size(p.Value)),
                YamlSequenceNode sequence => sequence.Children.Sum(Size),
                _ => 0,
            };
            var size = 1 + children;
            if (size > MaxExpandedValues)
            {
                throw Error(node, $"this value's aliases (*name) expand to more than a million values; write fewer aliases, or the values themselves");
            }

            sizes[node] = size;
            return size;
        }
    }

    private static JsonValue? PlainScalar(string text) => text switch
    {
        "null" or "~" or "" => null,
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        _ when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        _ => JsonValue.Create(text),
    };
}
