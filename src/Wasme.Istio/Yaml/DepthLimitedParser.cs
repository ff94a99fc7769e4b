using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Wasme.Istio.Yaml;

/// <summary>
/// Refuses YAML nested deeper than <see cref="MaxDepth"/> lists and mappings, counting what aliases repeat, and aliases
/// that expand to more than <see cref="MaxAliasValues"/> values or <see cref="MaxAliasText"/> characters, or that sit
/// inside the value they name. YamlDotNet's
/// parser reads any of these, but its node model (<c>YamlStream.Load</c>) and every walk over it recurse once per level:
/// a 400 KB line of <c>[[[…</c>, or the one line <c>a: &amp;a [*a]</c> (a list that holds itself), overflowed the stack and
/// killed the process (exit 134, no message), and ten lines of nested aliases expanded to billions of values and ran it
/// out of memory, as did a few thousand aliases of one long value (each a copy once read). Manifests, Istio resources
/// and filter tests nest a few dozen levels at most and alias little.
/// </summary>
public sealed class DepthLimitedParser(IParser inner) : IParser
{
    public const int MaxDepth = 256;

    /// <summary>What all the aliases of one document may add up to, each counting every value of what it names.</summary>
    public const long MaxAliasValues = 1_000_000;

    /// <summary>The text all the aliases of one document may repeat: as much as a whole input file may hold (16 MiB).</summary>
    public const long MaxAliasText = 16 * 1024 * 1024;

    // One per open list or mapping: its anchor, the values under it (aliases expanded) and how deep they nest below it.
    private readonly Stack<Frame> _open = new();
    private readonly Dictionary<string, Anchored> _anchors = new(StringComparer.Ordinal);
    private long _aliasValues;
    private long _aliasText;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        var current = inner.Current!;
        switch (current)
        {
            // Stream and document starts count as nesting in YamlDotNet's events; only lists and mappings count here.
            case DocumentStart:
                _anchors.Clear();
                _aliasValues = 0;
                _aliasText = 0;
                break;
            case SequenceStart or MappingStart:
                if (_open.Count + 1 > MaxDepth)
                {
                    throw new YamlException(current.Start, current.End, $"lists and mappings nest more than {MaxDepth} levels deep here; no manifest or test needs that, so the input is refused");
                }

                var anchor = ((NodeEvent)current).Anchor;
                _open.Push(new Frame(anchor.IsEmpty ? null : anchor.Value));
                if (!anchor.IsEmpty)
                {
                    _anchors[anchor.Value] = Anchored.Open;
                }

                break;
            case SequenceEnd or MappingEnd:
                var done = _open.Pop();
                if (done.Anchor is not null)
                {
                    _anchors[done.Anchor] = new Anchored(done.Values + 1, done.Height + 1, done.Text, IsOpen: false);
                }

                Add(done.Values + 1, done.Height + 1, done.Text);
                break;
            case Scalar scalar:
                if (!scalar.Anchor.IsEmpty)
                {
                    _anchors[scalar.Anchor.Value] = new Anchored(1, 0, scalar.Value.Length, IsOpen: false);
                }

                Add(1, 0, scalar.Value.Length);
                break;
            case AnchorAlias alias:
                Expand(alias);
                break;
        }

        return true;
    }

    private void Expand(AnchorAlias alias)
    {
        var name = alias.Value.Value;
        if (!_anchors.TryGetValue(name, out var target))
        {
            throw new YamlException(alias.Start, alias.End, $"the alias *{name} names no anchor &{name} before it; define the value with &{name} first, or write it out");
        }

        if (target.IsOpen)
        {
            throw new YamlException(alias.Start, alias.End, $"the alias *{name} sits inside the value &{name} it names, so that value would hold itself without end; write the value out instead");
        }

        if (_open.Count + target.Height > MaxDepth)
        {
            throw new YamlException(alias.Start, alias.End, $"with the alias *{name} expanded, lists and mappings nest more than {MaxDepth} levels deep here; no manifest or test needs that, so the input is refused");
        }

        _aliasValues += target.Values;
        if (_aliasValues > MaxAliasValues)
        {
            throw new YamlException(alias.Start, alias.End, "aliases (*name) expand to more than a million values in this document; write fewer aliases, or the values themselves");
        }

        _aliasText += target.Text;
        if (_aliasText > MaxAliasText)
        {
            throw new YamlException(alias.Start, alias.End, "aliases (*name) repeat more than 16 MiB of text in this document; write fewer aliases of long values, or the values themselves");
        }

        Add(target.Values, target.Height, target.Text);
    }

    private void Add(long values, int height, long text)
    {
        if (_open.TryPeek(out var parent))
        {
            parent.Values += values;
            parent.Height = Math.Max(parent.Height, height);
            parent.Text += text;
        }
    }

    private sealed class Frame(string? anchor)
    {
        public string? Anchor { get; } = anchor;

        public long Values { get; set; }

        public int Height { get; set; }

        /// <summary>The characters of the scalars under it, aliases expanded.</summary>
        public long Text { get; set; }
    }

    private readonly record struct Anchored(long Values, int Height, long Text, bool IsOpen)
    {
        public static Anchored Open => new(0, 0, 0, IsOpen: true);
    }
}
