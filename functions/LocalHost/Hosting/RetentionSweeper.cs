using EventProcessors.Processing.Idempotency;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Hosting;

/// <summary>How often <c>serve</c> sweeps expired idempotency records (section <c>Sweep</c>).</summary>
public sealed class RetentionSweepOptions
{
    public const string SectionName = "Sweep";

    /// <summary>Time between sweeps, the first one after a full interval. Default 1 hour, as the Function App's timer.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// The self-hosted worker's counterpart of the Function App's <c>SweepIdempotencyRecords</c> timer: deletes settled
/// idempotency records past their retention every <see cref="RetentionSweepOptions.Interval"/>. A failed sweep is
/// logged and the next one tries again; it never stops the worker.
/// </summary>
public sealed class RetentionSweeper(IIdempotencyStore store, IOptions<RetentionSweepOptions> options, TimeProvider time, ILogger<RetentionSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var deleted = await store.SweepAsync(stoppingToken).ConfigureAwait(false);
                logger.LogInformation("Swept {Deleted} idempotency records past retention", deleted);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "The idempotency record sweep failed; the next one tries again in {Interval}", options.Value.Interval);
            }
        }
    }
}
