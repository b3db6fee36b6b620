using EventProcessors.Processing.Pipeline;
using Microsoft.Extensions.Logging;

namespace EventProcessors.LocalHost.Worker;

/// <summary>
/// Back-pressure for an unreachable store or broker, shared by every consumer of one worker: a circuit breaker whose
/// probes are real deliveries. When a delivery finds a dependency unreachable the gate opens, and every delivery
/// waits at it, held unacknowledged (the prefetch bounds how many, so the worker takes no more work and no delivery
/// attempt is spent). One delivery at a time is let through as the probe, after
/// <see cref="WorkerOptions.OutageProbeInterval"/> doubling up to <see cref="WorkerOptions.OutageMaxProbeInterval"/>;
/// the first probe that finds the store answering closes the gate and every held delivery resumes.
/// </summary>
public sealed class OutageGate(WorkerOptions options, TimeProvider time, ILogger logger)
{
    private readonly object _lock = new();
    private TaskCompletionSource _changed = NewSignal();
    private bool _open;
    private bool _probing;
    private int _failedProbes;
    private DateTimeOffset _openedAt;
    private DateTimeOffset _nextProbe;

    /// <summary>Whether deliveries are being held.</summary>
    public bool IsOpen
    {
        get { lock (_lock) return _open; }
    }

    /// <summary>How many times the gate opened since start (for the timeline and tests).</summary>
    public int Outages { get; private set; }

    /// <summary>
    /// Returns when the caller may process: at once while the gate is closed; while it is open, when the caller is
    /// chosen as the probe (returns true; it must then call <see cref="Answered"/>, <see cref="Unreachable"/> or
    /// <see cref="Abandon"/>), or when a probe closed it.
    /// </summary>
    public Task<bool> EnterAsync(CancellationToken cancellationToken) =>
        // Closed (almost always): no lock, no state machine. A delivery that slips past a gate opening this instant meets
        // the outage itself and reports it, as one that entered just before would.
        Volatile.Read(ref _open) ? WaitAsync(cancellationToken) : Closed;

    private static readonly Task<bool> Closed = Task.FromResult(false);

    private async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            TimeSpan wait;
            lock (_lock)
            {
                if (!_open) return false;
                var now = time.GetUtcNow();
                if (!_probing && now >= _nextProbe)
                {
                    _probing = true;
                    return true;
                }
                changed = _changed.Task;
                wait = _probing ? Timeout.InfiniteTimeSpan : _nextProbe - now;
            }
            try
            {
                await changed.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Time for the next probe.
            }
        }
    }

    /// <summary>The store and broker answered this delivery's calls: a probe that gets here closes the gate.</summary>
    public void Answered(bool probe)
    {
        if (!probe) return;
        lock (_lock)
        {
            _probing = false;
            if (!_open) return;
            _open = false;
            _failedProbes = 0;
            logger.LogWarning("Store and broker answer again after {Seconds:0.0} s: resuming held deliveries.", (time.GetUtcNow() - _openedAt).TotalSeconds);
            Signal();
        }
    }

    /// <summary>A dependency did not answer: open the gate (or keep it open) and schedule the next probe.</summary>
    public void Unreachable(bool probe, string reason)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var opened = !_open;
            if (opened)
            {
                _open = true;
                _openedAt = now;
                _failedProbes = 0;
                Outages++;
                logger.LogWarning("Pausing: {Reason}. Deliveries are held (no attempt is spent) and the store is probed until it answers.", reason);
            }
            if (probe)
            {
                _probing = false;
                _failedProbes++;
            }
            if (opened || probe) _nextProbe = now + RetryBackoff.Delay(options.OutageProbeInterval, _failedProbes, options.OutageMaxProbeInterval);
            Signal();
        }
    }

    /// <summary>The probe ended without telling (shutdown, an unrelated failure): let another delivery probe now.</summary>
    public void Abandon(bool probe)
    {
        if (!probe) return;
        lock (_lock)
        {
            _probing = false;
            _nextProbe = time.GetUtcNow();
            Signal();
        }
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
