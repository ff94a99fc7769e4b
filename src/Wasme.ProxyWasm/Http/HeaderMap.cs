using System.Collections;

namespace Wasme.ProxyWasm;

/// <summary>
/// An ordered, multi-valued header (or trailer, or metadata) map with Envoy's semantics: keys are
/// lower-cased on every write, <see cref="Add"/> appends a duplicate, <see cref="Set"/> replaces all
/// values of a key, <see cref="Remove"/> removes every entry of a key, and lookups return the first value.
/// </summary>
/// <remarks>
/// Not thread-safe; a map belongs to one stream. A map made over a <see cref="HeaderSource"/> reads the data plane's
/// headers in place, keeps what <see cref="Add"/> appends beside them (<see cref="Appended"/>), and copies them in only
/// when a filter replaces, removes or lists entries.
/// </remarks>
public sealed class HeaderMap : IEnumerable<KeyValuePair<string, string>>
{
    // Every ASCII character but A-Z: a name made only of these is its own lower case.
    private static readonly System.Buffers.SearchValues<char> s_alreadyLower = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 128).Where(c => c is < 'A' or > 'Z').Select(c => (char)c)));

    /// <summary>
    /// Bytes an entry counts for besides its name and value when a map's size is judged, as HTTP/2 counts a header list
    /// (RFC 9113, SETTINGS_MAX_HEADER_LIST_SIZE).
    /// </summary>
    public const int EntryOverhead = 32;

    private KeyValuePair<string, string>[] _entries;
    private int _count;
    private long _version;
    // Not null while the map is a view of the data plane's own headers, and _entries holds only what was appended after
    // them; the first replace, remove or listing copies the source in.
    private HeaderSource? _source;

    public HeaderMap()
        : this(8)
    {
    }

    public HeaderMap(int capacity)
    {
        _entries = new KeyValuePair<string, string>[Math.Max(capacity, 1)];
    }

    /// <summary>A map that reads <paramref name="source"/> in place until a filter changes it or lists it.</summary>
    public HeaderMap(HeaderSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _entries = [];
        _source = source;
    }

    /// <summary>
    /// Still reading its <see cref="HeaderSource"/> in place: the source's headers, then <see cref="Appended"/>, are the
    /// whole map.
    /// </summary>
    public bool IsView => _source is not null;

    /// <summary>The source read in place while <see cref="IsView"/>; null otherwise.</summary>
    public HeaderSource? Source => _source;

    /// <summary>
    /// While <see cref="IsView"/>, the entries added after the source's, in order (a data plane applies a view's changes
    /// by appending these); empty otherwise.
    /// </summary>
    public ReadOnlySpan<KeyValuePair<string, string>> Appended => _source is null ? [] : _entries.AsSpan(0, _count);

    /// <summary>
    /// Copies the source's entries in (before any appended ones), so the map no longer reads it: call it before changing
    /// the headers a map reads in place. The copy is not a change (<see cref="Version"/> stays).
    /// </summary>
    public void Detach() => CopyInSource();

    /// <summary>Changes so far: a data plane that copied the map in can skip copying it back when this has not moved.</summary>
    public long Version => _version;

    /// <summary>Number of entries, counting every value of a repeated key.</summary>
    public int Count => _source is null ? _count : _source.Count + _count;

    /// <summary>The entry at <paramref name="index"/>, in insertion order.</summary>
    public KeyValuePair<string, string> this[int index]
    {
        get
        {
            CopyInSource();
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            return _entries[index];
        }
    }

    /// <summary>Appends an entry; an existing key keeps its values.</summary>
    public void Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        AddLowered(Lower(key), value);
    }

    /// <summary>Replaces every value of <paramref name="key"/> with <paramref name="value"/> (appends when absent).</summary>
    public void Set(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var lowered = Lower(key);
        CopyInSource();
        var index = IndexOf(lowered);
        if (index < 0)
        {
            AddLowered(lowered, value);
            return;
        }

        _entries[index] = new KeyValuePair<string, string>(lowered, value);
        _version++;
        RemoveFrom(lowered, index + 1);
    }

    /// <summary>Removes every entry of <paramref name="key"/>; returns whether any existed.</summary>
    public bool Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        CopyInSource();
        var before = _count;
        RemoveFrom(Lower(key), 0);
        return _count != before;
    }

    /// <summary>Gets the first value of <paramref name="key"/>.</summary>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var lowered = Lower(key);
        if (_source is not null && _source.TryGetValue(lowered, out value))
        {
            return true;
        }

        var index = IndexOfEntry(lowered);
        value = index < 0 ? null : _entries[index].Value;
        return index >= 0;
    }

    /// <summary>
    /// Gets the first value of an ASCII key given as the guest's bytes, without making a string of it (a lookup per
    /// callback on the request path). False for a key that is not ASCII: use the string overload.
    /// </summary>
    internal bool TryGetValue(ReadOnlySpan<byte> asciiKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        if (_source is not null && _source.TryGetValue(asciiKey, out value))
        {
            return true;
        }

        for (var i = 0; i < _count; i++)
        {
            var key = _entries[i].Key;
            // Stored keys are lower case; the guest's may not be.
            if (key.Length == asciiKey.Length && System.Text.Ascii.EqualsIgnoreCase(asciiKey, key))
            {
                value = _entries[i].Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Every value of <paramref name="key"/>, in order.</summary>
    public IReadOnlyList<string> GetValues(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var lowered = Lower(key);
        CopyInSource();
        List<string>? values = null;
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_entries[i].Key, lowered, StringComparison.Ordinal))
            {
                (values ??= []).Add(_entries[i].Value);
            }
        }

        return values is null ? [] : values;
    }

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public void Clear()
    {
        _source = null;
        Array.Clear(_entries, 0, _count);
        _count = 0;
        _version++;
    }

    public Enumerator GetEnumerator()
    {
        CopyInSource();
        return new(this);
    }

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Appends; on a view, after the source's entries, which stay where they are.
    internal void AddLowered(string loweredKey, string value)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Max(_entries.Length * 2, 2));
        }

        _entries[_count++] = new KeyValuePair<string, string>(loweredKey, value);
        _version++;
    }

    internal int IndexOf(string loweredKey)
    {
        CopyInSource();
        return IndexOfEntry(loweredKey);
    }

    private int IndexOfEntry(string loweredKey)
    {
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_entries[i].Key, loweredKey, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private void RemoveFrom(string loweredKey, int start)
    {
        var write = start;
        for (var read = start; read < _count; read++)
        {
            if (!string.Equals(_entries[read].Key, loweredKey, StringComparison.Ordinal))
            {
                _entries[write++] = _entries[read];
            }
        }

        if (write != _count)
        {
            Array.Clear(_entries, write, _count - write);
            _count = write;
            _version++;
        }
    }

    // The copy is what the map already showed, so it is not a change: a data plane comparing versions copies nothing back.
    private void CopyInSource()
    {
        if (_source is null)
        {
            return;
        }

        var source = _source;
        _source = null;
        var version = _version;
        var appended = _count == 0 ? [] : _entries.AsSpan(0, _count).ToArray();
        Array.Clear(_entries, 0, _count);
        _count = 0;
        if (_entries.Length < source.Count + appended.Length)
        {
            _entries = new KeyValuePair<string, string>[source.Count + appended.Length + 2];
        }

        source.CopyTo(this);
        foreach (var entry in appended)
        {
            AddLowered(entry.Key, entry.Value);
        }

        _version = version;
    }

    // Header names are ASCII in practice; only allocate when there is something to lower (one vectorized scan).
    internal static string Lower(string key) => key.AsSpan().ContainsAnyExcept(s_alreadyLower) ? key.ToLowerInvariant() : key;

    /// <summary>Allocation-free enumerator over the entries.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
    {
        private readonly HeaderMap _map;
        private int _index;

        internal Enumerator(HeaderMap map)
        {
            _map = map;
            _index = -1;
        }

        public readonly KeyValuePair<string, string> Current => _map._entries[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < _map._count;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}
