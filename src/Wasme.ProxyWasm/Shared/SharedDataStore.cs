namespace Wasme.ProxyWasm.Shared;

/// <summary>
/// Host-wide key/value store behind <c>proxy_get_shared_data</c>/<c>proxy_set_shared_data</c>, shared by every
/// VM with the same VM id. Each value carries a CAS token that changes on every write.
/// </summary>
internal sealed class SharedDataStore
{
    private readonly Dictionary<(string VmId, string Key), Entry> _entries = [];
    // Bytes stored per VM id (keys as UTF-16 characters, values as bytes): the guests' memory caps do not cover the host's.
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private uint _nextCas = 1;

    public bool TryGet(string vmId, string key, out byte[] value, out uint cas)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue((vmId, key), out var entry))
            {
                value = entry.Value;
                cas = entry.Cas;
                return true;
            }
        }

        value = [];
        cas = 0;
        return false;
    }

    /// <summary>
    /// Stores <paramref name="value"/>; a non-zero <paramref name="cas"/> must match the token of an existing entry
    /// (a first write stores whatever token it carries, as cpp-host), and the VM id's
    /// keys and values together may not pass <paramref name="maxBytes"/>.
    /// </summary>
    public SharedDataWrite TrySet(string vmId, string key, byte[] value, uint cas, long maxBytes = long.MaxValue)
    {
        lock (_gate)
        {
            var existing = _entries.TryGetValue((vmId, key), out var entry);
            if (cas != 0 && existing && entry.Cas != cas)
            {
                return SharedDataWrite.CasMismatch;
            }

            var used = _bytes.GetValueOrDefault(vmId);
            var next = used - (existing ? key.Length + entry.Value.Length : 0) + key.Length + value.Length;
            if (next > maxBytes && next > used)
            {
                return SharedDataWrite.Full;
            }

            var token = _nextCas++;
            if (_nextCas == 0)
            {
                _nextCas = 1;
            }

            _entries[(vmId, key)] = new Entry(value, token);
            _bytes[vmId] = next;
            return SharedDataWrite.Stored;
        }
    }

    private readonly record struct Entry(byte[] Value, uint Cas);
}

internal enum SharedDataWrite
{
    Stored,
    CasMismatch,
    Full,
}
