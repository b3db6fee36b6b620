using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Inventory;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Inventory;

/// <summary>flows.md <c>DeductStock</c>: queue <c>inventory.deduct-stock</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>inventory.deduct-stock.dead-letter</c>.</summary>
public sealed class DeductStockFunction(FunctionRunner runner)
{
    public const string Queue = "inventory.deduct-stock";

    [Function("DeductStock")]
    public async Task<DeductStockOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("DeductStock", message, context).ConfigureAwait(false);
        return new DeductStockOutput
        {
            StockMovements = outputs.Rows<StockMovement>(),
        };
    }
}

/// <summary>The output bindings of <see cref="DeductStockFunction"/>; null properties emit nothing.</summary>
public sealed class DeductStockOutput
{
    [SqlOutput("dbo.StockMovements", Bindings.Sql)]
    public StockMovement[]? StockMovements { get; init; }
}
