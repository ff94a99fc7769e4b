namespace Wasme.ProxyWasm.Shared;

/// <summary>
/// Host-wide metrics behind <c>proxy_define_metric</c> and friends. Defining the same name and type again returns
/// the same id, so every VM of a plugin adds to one counter. As in cpp-host, the id's low two bits carry the type.
/// </summary>
internal sealed class MetricRegistry
{
    private const int TypeBits = 2;
    private readonly Dictionary<(string Name, MetricType Type), int> _ids = [];
    private readonly List<Metric> _metrics = [];
    private readonly Lock _gate = new();

    /// <summary>The metric's id; -1 when it is new and <paramref name="maxMetrics"/> are defined already.</summary>
    public int Define(MetricType type, string name, int maxMetrics = int.MaxValue)
    {
        lock (_gate)
        {
            if (!_ids.TryGetValue((name, type), out var id))
            {
                if (_metrics.Count >= maxMetrics)
                {
                    return -1;
                }

                id = (_metrics.Count << TypeBits) | (int)type;
                _metrics.Add(new Metric(name, type));
                _ids[(name, type)] = id;
            }

            return id;
        }
    }

    public bool TryGet(int id, out Metric metric)
    {
        var index = (uint)id >> TypeBits;
        lock (_gate)
        {
            if (index < (uint)_metrics.Count)
            {
                metric = _metrics[(int)index];
                return true;
            }
        }

        metric = null!;
        return false;
    }

    public IReadOnlyList<MetricSnapshot> Snapshot()
    {
        lock (_gate)
        {
            var result = new MetricSnapshot[_metrics.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = _metrics[i].Snapshot();
            }

            return result;
        }
    }

    internal sealed class Metric(string name, MetricType type)
    {
        private long _value;
        private long _count;
        private long _sum;

        public string Name { get; } = name;

        public MetricType Type { get; } = type;

        public long Value => Interlocked.Read(ref _value);

        /// <summary>Counter: adds (must be positive). Gauge: adds (may go negative). Histogram: not allowed.</summary>
        public bool Increment(long delta)
        {
            if (Type == MetricType.Histogram || (Type == MetricType.Counter && delta <= 0))
            {
                return false;
            }

            Interlocked.Add(ref _value, delta);
            return true;
        }

        /// <summary>Counter: adds (Envoy's behaviour). Gauge: sets. Histogram: records one value.</summary>
        public void Record(long value)
        {
            switch (Type)
            {
                case MetricType.Counter:
                    Interlocked.Add(ref _value, value);
                    break;
                case MetricType.Gauge:
                    Interlocked.Exchange(ref _value, value);
                    break;
                default:
                    Interlocked.Exchange(ref _value, value);
                    Interlocked.Increment(ref _count);
                    Interlocked.Add(ref _sum, value);
                    break;
            }
        }

        public MetricSnapshot Snapshot() => new(Name, Type, Value, Interlocked.Read(ref _count), Interlocked.Read(ref _sum));
    }
}
