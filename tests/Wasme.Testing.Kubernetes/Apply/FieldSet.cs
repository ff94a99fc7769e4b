using System.Text;
using System.Text.Json.Nodes;

namespace Wasme.Testing.Kubernetes.Apply;

/// <summary>
/// A set of field paths, stored as the tree that <c>fieldsV1</c> serialises: each path element is
/// <c>f:name</c> (a field), <c>k:{"name":"web"}</c> (a list item by its keys), <c>v:"x"</c> (a set item by value)
/// or <c>i:0</c> (an item by index); a node that is itself in the set, and has children, carries <c>.</c>.
/// </summary>
internal sealed class FieldSet
{
    private readonly SortedDictionary<string, FieldSet> _children = new(StringComparer.Ordinal);

    /// <summary>Whether the path leading here is itself in the set.</summary>
    public bool Member { get; private set; }

    public bool IsEmpty => !Member && _children.Count == 0;

    public IEnumerable<KeyValuePair<string, FieldSet>> Children => _children;

    public static FieldSet FromFieldsV1(JsonNode? fieldsV1)
    {
        var set = new FieldSet();
        if (fieldsV1 is JsonObject obj)
        {
            set.Read(obj);
        }

        return set;
    }

    public JsonObject ToFieldsV1()
    {
        var result = new JsonObject();
        if (Member && _children.Count > 0)
        {
            result["."] = new JsonObject();
        }

        foreach (var (element, child) in _children)
        {
            result[element] = child.ToFieldsV1();
        }

        return result;
    }

    public FieldSet? Child(string element) => _children.GetValueOrDefault(element);

    public void Insert(IReadOnlyList<string> path)
    {
        if (path.Count == 0)
        {
            return;
        }

        var node = this;
        foreach (var element in path)
        {
            if (!node._children.TryGetValue(element, out var next))
            {
                node._children[element] = next = new FieldSet();
            }

            node = next;
        }

        node.Member = true;
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        result.Add(other);
        return result;
    }

    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet { Member = Member && !other.Member };
        foreach (var (element, child) in _children)
        {
            var rest = other._children.TryGetValue(element, out var theirs) ? child.Difference(theirs) : child.Clone();
            if (!rest.IsEmpty)
            {
                result._children[element] = rest;
            }
        }

        return result;
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet { Member = Member && other.Member };
        foreach (var (element, child) in _children)
        {
            if (other._children.TryGetValue(element, out var theirs) && child.Intersection(theirs) is { IsEmpty: false } both)
            {
                result._children[element] = both;
            }
        }

        return result;
    }

    /// <summary>The member paths, in the order structured-merge-diff iterates them: a level's members, then its subtrees.</summary>
    public IEnumerable<IReadOnlyList<string>> Paths()
    {
        var prefix = new List<string>();
        return Collect(prefix);
    }

    /// <summary>A path as kube-apiserver prints it in conflicts: <c>.spec.containers[name="web"].image</c>.</summary>
    public static string Display(IReadOnlyList<string> path)
    {
        var text = new StringBuilder();
        foreach (var element in path)
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f':
                    text.Append('.').Append(body);
                    break;
                case 'k':
                    var keys = (JsonObject)JsonNode.Parse(body)!;
                    text.Append('[').AppendJoin(',', keys.Select(k => $"{k.Key}={FieldValues.Json(k.Value)}")).Append(']');
                    break;
                case 'v':
                    text.Append("[=").Append(body).Append(']');
                    break;
                default:
                    text.Append('[').Append(body).Append(']');
                    break;
            }
        }

        return text.ToString();
    }

    private IEnumerable<IReadOnlyList<string>> Collect(List<string> prefix)
    {
        foreach (var (element, child) in _children.Where(c => c.Value.Member))
        {
            yield return [.. prefix, element];
        }

        foreach (var (element, child) in _children.Where(c => c.Value._children.Count > 0))
        {
            prefix.Add(element);
            foreach (var path in child.Collect(prefix))
            {
                yield return path;
            }

            prefix.RemoveAt(prefix.Count - 1);
        }
    }

    private void Read(JsonObject obj)
    {
        foreach (var (element, value) in obj)
        {
            if (element == ".")
            {
                Member = true;
                continue;
            }

            var child = new FieldSet();
            if (value is JsonObject { Count: > 0 } nested)
            {
                child.Read(nested);
            }
            else
            {
                child.Member = true;
            }

            _children[element] = child;
        }
    }

    private void Add(FieldSet other)
    {
        Member |= other.Member;
        foreach (var (element, child) in other._children)
        {
            if (!_children.TryGetValue(element, out var mine))
            {
                _children[element] = mine = new FieldSet();
            }

            mine.Add(child);
        }
    }

    private FieldSet Clone()
    {
        var copy = new FieldSet { Member = Member };
        foreach (var (element, child) in _children)
        {
            copy._children[element] = child.Clone();
        }

        return copy;
    }
}
