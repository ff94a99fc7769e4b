using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Selectors;

/// <summary>A parsed <c>fieldSelector</c> (<c>metadata.name=x,metadata.namespace!=y</c>) over dotted paths.</summary>
public sealed class FieldSelector
{
    private readonly IReadOnlyList<(string Path, bool Equal, string Value)> _terms;

    private FieldSelector(IReadOnlyList<(string Path, bool Equal, string Value)> terms)
    {
        _terms = terms;
    }

    public static FieldSelector Everything { get; } = new([]);

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string, bool, string)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var notEqual = part.IndexOf("!=", StringComparison.Ordinal);
            var equal = part.IndexOf('=', StringComparison.Ordinal);
            if (notEqual > 0)
            {
                terms.Add((part[..notEqual], false, part[(notEqual + 2)..]));
            }
            else if (equal > 0)
            {
                var value = part[(equal + 1)..];
                terms.Add((part[..equal], true, value.StartsWith('=') ? value[1..] : value));
            }
            else
            {
                throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            }
        }

        return new FieldSelector(terms);
    }

    /// <summary>The fields selected on, in the order given.</summary>
    public IEnumerable<string> Fields => _terms.Select(t => t.Path);

    public bool Matches(JsonObject obj) => _terms.All(t => (obj.Select(t.Path).AsText() ?? "") == t.Value == t.Equal);
}
