using EventProcessors.Processing.Idempotency;
using Microsoft.Extensions.Logging;

namespace EventProcessors.Processing.Pipeline;

/// <summary>
/// Keeps a claim's lease alive while its action runs: renews it every <see cref="ProcessingOptions.LeaseRenewalInterval"/>,
/// so a live worker's claim never expires and a dead worker's expires within <see cref="ProcessingOptions.LeaseDuration"/>.
/// A renewal the store refuses (the lease was taken over) cancels <see cref="Token"/>: the action's result would not count.
/// A renewal that fails for an outage is tried again at the next tick; the completion's ETag check still decides.
/// </summary>
/// <remarks>
/// Nearly every action ends long before its first renewal is due, so the renewal loop (a timer, a task and a token source
/// of its own) starts only for an action still running after half the interval: the pipeline's <see cref="LeaseKeeper"/>
/// looks at its running actions on one timer and starts their loops, each due an interval after its claim, as before.
/// </remarks>
internal sealed class LeaseRenewal : IAsyncDisposable
{
    private readonly LeaseKeeper _keeper;
    private readonly IIdempotencyStore _store;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _action;
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private IdempotencyClaim? _claim;

    public LeaseRenewal(LeaseKeeper keeper, IIdempotencyStore store, IdempotencyClaim claim, ILogger logger, CancellationToken cancellationToken)
    {
        _keeper = keeper;
        _store = store;
        _claim = claim;
        _logger = logger;
        _action = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Since = keeper.Time.GetTimestamp();
        keeper.Add(this);
    }

    /// <summary>The action's token: cancelled when the host stops or the lease is lost.</summary>
    public CancellationToken Token => _action.Token;

    /// <summary>When the claim began (a <see cref="TimeProvider.GetTimestamp"/>): renewals are due an interval after it.</summary>
    internal long Since { get; }

    // The keeper's list of running actions (guarded by its stripe's lock): this lease is its own node.
    internal LeaseKeeper.Stripe? Stripe { get; set; }
    internal LeaseRenewal? Previous { get; set; }
    internal LeaseRenewal? Next { get; set; }

    /// <summary>Starts the renewal loop (under its stripe's lock, once).</summary>
    internal void StartRenewing()
    {
        if (_loop is not null) return;
        _stop = new CancellationTokenSource();
        var firstDue = _keeper.Interval - _keeper.Time.GetElapsedTime(Since);
        _loop = RenewAsync(firstDue > TimeSpan.Zero ? firstDue : TimeSpan.Zero, _stop.Token);
    }

    /// <summary>Stops renewing; returns the claim as last renewed, or null if the lease was lost.</summary>
    public ValueTask<IdempotencyClaim?> StopAsync()
    {
        _keeper.Remove(this); // after this the keeper starts no loop, so _loop is final
        return _loop is null ? ValueTask.FromResult(Volatile.Read(ref _claim)) : StopLoopAsync();
    }

    private async ValueTask<IdempotencyClaim?> StopLoopAsync()
    {
        if (!_stop!.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        await _loop!.ConfigureAwait(false);
        return Volatile.Read(ref _claim);
    }

    private async Task RenewAsync(TimeSpan firstDue, CancellationToken stop)
    {
        var wait = firstDue;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, _keeper.Time, stop).ConfigureAwait(false);
                wait = _keeper.Interval;
                var renewed = await _store.RenewAsync(_claim!, stop).ConfigureAwait(false);
                if (renewed is null)
                {
                    _logger.LogWarning("The lease of {EventId} was taken over by another worker; its action is cancelled.", _claim!.Key.EventId);
                    Volatile.Write(ref _claim, null);
                    await _action.CancelAsync().ConfigureAwait(false);
                    return;
                }
                Volatile.Write(ref _claim, renewed);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (Failures.IsTransient(ex))
            {
                _logger.LogWarning("Could not renew a lease ({Reason}); trying again in {Interval}.", ex.Message, _keeper.Interval);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop?.Dispose();
        _action.Dispose();
    }
}

/// <summary>
/// The running actions of one pipeline, looked at on one timer every half renewal interval: an action still running after
/// half the interval gets its lease's renewal loop (<see cref="LeaseRenewal.StartRenewing"/>). The timer stops once no action
/// runs, so an idle pipeline holds no timer. The actions are kept in a few lists, each with a lock of its own, so concurrent
/// handlers seldom wait for each other.
/// </summary>
internal sealed class LeaseKeeper
{
    private const int Stripes = 16;

    private readonly Stripe[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new Stripe())];
    private readonly Lock _timerGate = new();
    private readonly TimeSpan _look;
    private ITimer? _timer;
    private volatile bool _ticking;
    private int _next;

    public LeaseKeeper(TimeSpan interval, TimeProvider time)
    {
        Interval = interval > TimeSpan.Zero ? interval : throw new ArgumentOutOfRangeException(nameof(interval), interval, "LeaseRenewalInterval must be positive.");
        Time = time;
        _look = interval / 2;
    }

    public TimeSpan Interval { get; }

    public TimeProvider Time { get; }

    public void Add(LeaseRenewal lease)
    {
        var stripe = _stripes[(uint)Interlocked.Increment(ref _next) % Stripes];
        lease.Stripe = stripe;
        lock (stripe.Gate)
        {
            lease.Next = stripe.Head;
            if (stripe.Head is not null) stripe.Head.Previous = lease;
            stripe.Head = lease;
        }
        if (!_ticking) StartTicking();
    }

    public void Remove(LeaseRenewal lease)
    {
        if (lease.Stripe is not { } stripe) return;
        lock (stripe.Gate)
        {
            if (lease.Previous is not null) lease.Previous.Next = lease.Next;
            else if (stripe.Head == lease) stripe.Head = lease.Next;
            else return; // removed already
            if (lease.Next is not null) lease.Next.Previous = lease.Previous;
            lease.Previous = lease.Next = null;
        }
    }

    private void StartTicking()
    {
        lock (_timerGate)
        {
            if (_ticking) return;
            _timer ??= Time.CreateTimer(static keeper => ((LeaseKeeper)keeper!).Look(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(_look, _look);
            _ticking = true;
        }
    }

    private void Look()
    {
        if (Visit(startDue: true)) return;
        // Stopped by the first look that finds nothing running, not by every action that ends: a busy pipeline often runs
        // none for a moment, and changing the timer takes the runtime's timer lock.
        lock (_timerGate)
        {
            _ticking = false;
            _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        if (Visit(startDue: false)) StartTicking(); // one added meanwhile may have seen the timer still ticking
    }

    /// <summary>Whether any action runs; with <paramref name="startDue"/>, starts the renewals that are due.</summary>
    private bool Visit(bool startDue)
    {
        var running = false;
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                for (var lease = stripe.Head; lease is not null; lease = lease.Next)
                {
                    running = true;
                    if (!startDue) break;
                    if (Time.GetElapsedTime(lease.Since) >= _look) lease.StartRenewing();
                }
            }
        }
        return running;
    }

    /// <summary>One list of running actions (this lease is its own node) and the lock that guards it.</summary>
    internal sealed class Stripe
    {
        public Lock Gate { get; } = new();
        public LeaseRenewal? Head { get; set; }
    }
}
