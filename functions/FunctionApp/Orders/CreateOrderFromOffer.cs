using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Orders;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Orders;

/// <summary>flows.md <c>CreateOrderFromOffer</c>: queue <c>orders.create-from-offer</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>orders.create-from-offer.dead-letter</c>.</summary>
public sealed class CreateOrderFromOfferFunction(FunctionRunner runner)
{
    public const string Queue = "orders.create-from-offer";

    [Function("CreateOrderFromOffer")]
    public async Task<CreateOrderFromOfferOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("CreateOrderFromOffer", message, context).ConfigureAwait(false);
        return new CreateOrderFromOfferOutput
        {
            Orders = outputs.Rows<Order>(),
            OrderLines = outputs.Rows<OrderLine>(),
        };
    }
}

/// <summary>The output bindings of <see cref="CreateOrderFromOfferFunction"/>; null properties emit nothing.</summary>
public sealed class CreateOrderFromOfferOutput
{
    [SqlOutput("dbo.Orders", Bindings.Sql)]
    public Order[]? Orders { get; init; }

    [SqlOutput("dbo.OrderLines", Bindings.Sql)]
    public OrderLine[]? OrderLines { get; init; }
}
