using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Inventory;

/// <summary>flows.md <c>ReserveStock</c>: queue <c>inventory.reserve-stock</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>inventory.reserve-stock.dead-letter</c>.</summary>
public sealed class ReserveStockFunction(FunctionRunner runner)
{
    public const string Queue = "inventory.reserve-stock";

    [Function("ReserveStock")]
    public Task RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context) =>
        runner.RunCollectorAsync("ReserveStock", message, context);
}
