using EventProcessors.Processing.EventStore;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace EventProcessors.FunctionApp.Audit;

/// <summary>Every hour, deletes the events each tenant's retention has expired (EventStore__Retention, EventStore__TenantRetention__*).</summary>
public sealed class SweepEventStoreFunction(IEventStore store, ILogger<SweepEventStoreFunction> logger)
{
    /// <summary>Six-field NCRONTAB: at minute 30 of every hour, away from the idempotency sweep.</summary>
    public const string Schedule = "0 30 * * * *";

    [Function("SweepEventStore")]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, FunctionContext context)
    {
        var deleted = await store.SweepAsync(context.CancellationToken).ConfigureAwait(false);
        logger.LogInformation("Swept {Deleted} events past their tenant's retention (past due: {PastDue})", deleted, timer.IsPastDue);
    }
}
