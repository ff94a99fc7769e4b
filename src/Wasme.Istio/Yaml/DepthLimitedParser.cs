using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Wasme.Istio.Yaml;

/// <summary>
/// Refuses YAML nested deeper than <see cref="MaxDepth"/> lists and mappings. YamlDotNet's parser reads any depth, but
/// its node model (<c>YamlStream.Load</c>) recurses once per level: a 400 KB line of <c>[[[…</c> overflowed the stack and
/// killed the process (exit 134, no message) instead of being refused as the malformed input it is. Manifests, Istio
/// resources and filter tests nest a few dozen levels at most.
/// </summary>
public sealed class DepthLimitedParser(IParser inner) : IParser
{
    public const int MaxDepth = 256;

    private int _depth;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        // Stream and document starts count as nesting in YamlDotNet's events; only lists and mappings count here.
        var current = inner.Current!;
        if (current is SequenceEnd or MappingEnd)
        {
            _depth--;
        }
        else if (current is SequenceStart or MappingStart && ++_depth > MaxDepth)
        {
            throw new YamlException(current.Start, current.End, $"lists and mappings nest more than {MaxDepth} levels deep here; no manifest or test needs that, so the input is refused");
        }

        return true;
    }
}
