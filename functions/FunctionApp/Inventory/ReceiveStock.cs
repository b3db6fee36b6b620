using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Procurement;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Inventory;

/// <summary>flows.md <c>ReceiveStock</c>: queue <c>inventory.receive-stock</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>inventory.receive-stock.dead-letter</c>.</summary>
public sealed class ReceiveStockFunction(FunctionRunner runner)
{
    public const string Queue = "inventory.receive-stock";

    [Function("ReceiveStock")]
    public async Task<ReceiveStockOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("ReceiveStock", message, context).ConfigureAwait(false);
        return new ReceiveStockOutput
        {
            StockMovements = outputs.Rows<StockMovement>(),
            PurchaseOrderReceipts = outputs.Rows<PurchaseOrderReceipt>(),
        };
    }
}

/// <summary>The output bindings of <see cref="ReceiveStockFunction"/>; null properties emit nothing.</summary>
public sealed class ReceiveStockOutput
{
    [SqlOutput("dbo.StockMovements", Bindings.Sql)]
    public StockMovement[]? StockMovements { get; init; }

    [SqlOutput("dbo.PurchaseOrderReceipts", Bindings.Sql)]
    public PurchaseOrderReceipt[]? PurchaseOrderReceipts { get; init; }
}
