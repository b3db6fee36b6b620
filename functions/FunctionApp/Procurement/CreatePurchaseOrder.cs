using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Procurement;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Procurement;

/// <summary>flows.md <c>CreatePurchaseOrder</c>: queue <c>procurement.create-purchase-order</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>procurement.create-purchase-order.dead-letter</c>.</summary>
public sealed class CreatePurchaseOrderFunction(FunctionRunner runner)
{
    public const string Queue = "procurement.create-purchase-order";

    [Function("CreatePurchaseOrder")]
    public async Task<CreatePurchaseOrderOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("CreatePurchaseOrder", message, context).ConfigureAwait(false);
        return new CreatePurchaseOrderOutput
        {
            PurchaseOrders = outputs.Rows<PurchaseOrder>(),
        };
    }
}

/// <summary>The output bindings of <see cref="CreatePurchaseOrderFunction"/>; null properties emit nothing.</summary>
public sealed class CreatePurchaseOrderOutput
{
    [SqlOutput("dbo.PurchaseOrders", Bindings.Sql)]
    public PurchaseOrder[]? PurchaseOrders { get; init; }
}
