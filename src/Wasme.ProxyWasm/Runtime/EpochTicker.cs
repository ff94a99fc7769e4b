using Wasmtime;

namespace Wasme.ProxyWasm.Runtime;

/// <summary>
/// Advances the engine epoch on a dedicated background thread, so that every store's epoch deadline
/// interrupts a guest that runs too long. A dedicated thread keeps deadlines working when the thread pool is starved.
/// </summary>
internal sealed class EpochTicker : IDisposable
{
    private readonly Engine _engine;
    private readonly TimeSpan _interval;
    // A kernel event, not ManualResetEventSlim: the slim one spins (sched_yield) before every wait, 100
    // times a second, which under load cost more than the ticks themselves.
    private readonly ManualResetEvent _stop = new(false);
    private readonly Thread _thread;
    private long _ticks;

    public EpochTicker(Engine engine, TimeSpan interval)
    {
        _engine = engine;
        _interval = interval;
        _thread = new Thread(Run) { IsBackground = true, Name = "wasme-epoch" };
        _thread.Start();
    }

    /// <summary>How many times the epoch advanced; read to tell whether a deadline armed earlier is still fresh.</summary>
    public long Ticks => Volatile.Read(ref _ticks);

    private void Run()
    {
        // Waiting on the stop event doubles as the tick delay.
        while (!_stop.WaitOne(_interval))
        {
            _engine.IncrementEpoch();
            Interlocked.Increment(ref _ticks);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }
}
