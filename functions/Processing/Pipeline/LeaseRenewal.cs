using EventProcessors.Processing.Idempotency;
using Microsoft.Extensions.Logging;

namespace EventProcessors.Processing.Pipeline;

/// <summary>
/// Keeps a claim's lease alive while its action runs: renews it every <see cref="ProcessingOptions.LeaseRenewalInterval"/>,
/// so a live worker's claim never expires and a dead worker's expires within <see cref="ProcessingOptions.LeaseDuration"/>.
/// A renewal the store refuses (the lease was taken over) cancels <see cref="Token"/>: the action's result would not count.
/// A renewal that fails for an outage is tried again at the next tick; the completion's ETag check still decides.
/// </summary>
internal sealed class LeaseRenewal : IAsyncDisposable
{
    private readonly IIdempotencyStore _store;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _action;
    private readonly Task _loop;
    private IdempotencyClaim? _claim;

    public LeaseRenewal(IIdempotencyStore store, IdempotencyClaim claim, TimeSpan interval, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        _store = store;
        _claim = claim;
        _interval = interval > TimeSpan.Zero ? interval : throw new ArgumentOutOfRangeException(nameof(interval), interval, "LeaseRenewalInterval must be positive.");
        _time = time;
        _logger = logger;
        _action = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = RenewAsync();
    }

    /// <summary>The action's token: cancelled when the host stops or the lease is lost.</summary>
    public CancellationToken Token => _action.Token;

    /// <summary>Stops renewing; returns the claim as last renewed, or null if the lease was lost.</summary>
    public async Task<IdempotencyClaim?> StopAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        return Volatile.Read(ref _claim);
    }

    private async Task RenewAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_interval, _time, _stop.Token).ConfigureAwait(false);
                var renewed = await _store.RenewAsync(_claim!, _stop.Token).ConfigureAwait(false);
                if (renewed is null)
                {
                    _logger.LogWarning("The lease of {EventId} was taken over by another worker; its action is cancelled.", _claim!.Key.EventId);
                    Volatile.Write(ref _claim, null);
                    await _action.CancelAsync().ConfigureAwait(false);
                    return;
                }
                Volatile.Write(ref _claim, renewed);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (Failures.IsTransient(ex))
            {
                _logger.LogWarning("Could not renew a lease ({Reason}); trying again in {Interval}.", ex.Message, _interval);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _action.Dispose();
    }
}
