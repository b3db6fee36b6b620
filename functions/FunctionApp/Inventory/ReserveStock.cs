using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Inventory;

/// <summary>flows.md <c>ReserveStock</c>: queue <c>inventory.reserve-stock</c>; follow-ons to the outbox, dead letters to <c>inventory.reserve-stock.dead-letter</c>.</summary>
public sealed class ReserveStockFunction(FunctionRunner runner)
{
    public const string Queue = "inventory.reserve-stock";

    [Function("ReserveStock")]
    public async Task<ReserveStockOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("ReserveStock", message, context).ConfigureAwait(false);
        return new ReserveStockOutput
        {
            Outbox = outputs.Events,
            DeadLetter = outputs.DeadLetter,
        };
    }
}

/// <summary>The output bindings of <see cref="ReserveStockFunction"/>; null properties emit nothing.</summary>
public sealed class ReserveStockOutput
{
    [RabbitMQOutput(QueueName = Bindings.Outbox, ConnectionStringSetting = Bindings.RabbitMQ)]
    public string[]? Outbox { get; init; }

    [RabbitMQOutput(QueueName = ReserveStockFunction.Queue + ".dead-letter", ConnectionStringSetting = Bindings.RabbitMQ)]
    public string? DeadLetter { get; init; }
}
