using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Accounting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Accounting;

/// <summary>flows.md <c>SyncInvoice</c>: queue <c>accounting.sync-invoice</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>accounting.sync-invoice.dead-letter</c>.</summary>
public sealed class SyncInvoiceFunction(FunctionRunner runner)
{
    public const string Queue = "accounting.sync-invoice";

    [Function("SyncInvoice")]
    public async Task<SyncInvoiceOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("SyncInvoice", message, context).ConfigureAwait(false);
        return new SyncInvoiceOutput
        {
            LedgerEntries = outputs.Rows<LedgerEntry>(),
        };
    }
}

/// <summary>The output bindings of <see cref="SyncInvoiceFunction"/>; null properties emit nothing.</summary>
public sealed class SyncInvoiceOutput
{
    [SqlOutput("dbo.LedgerEntries", Bindings.Sql)]
    public LedgerEntry[]? LedgerEntries { get; init; }
}
