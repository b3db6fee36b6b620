using EventProcessors.Processing.Idempotency;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace EventProcessors.FunctionApp.Operations;

/// <summary>
/// flows.md <c>SweepIdempotencyRecords</c>: every hour, deletes idempotency records past their retention.
/// Returns nothing: a timer function has no output binding.
/// </summary>
public sealed class SweepIdempotencyRecordsFunction(IIdempotencyStore store, ILogger<SweepIdempotencyRecordsFunction> logger)
{
    /// <summary>Six-field NCRONTAB: at minute 0 of every hour.</summary>
    public const string Schedule = "0 0 * * * *";

    [Function("SweepIdempotencyRecords")]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, FunctionContext context)
    {
        var deleted = await store.SweepAsync(context.CancellationToken).ConfigureAwait(false);
        logger.LogInformation("Swept {Deleted} idempotency records past retention (past due: {PastDue})", deleted, timer.IsPastDue);
    }
}
