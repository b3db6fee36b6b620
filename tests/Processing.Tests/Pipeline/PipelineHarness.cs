using System.Text;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Tests.Pipeline;

/// <summary>A pipeline over a given table backend, with a scriptable action that counts its runs.</summary>
internal sealed class PipelineHarness
{
    private readonly ITableServiceClient _tables;

    public PipelineHarness(ITableServiceClient tables, ProcessingOptions? options = null)
    {
        _tables = tables;
        Options = options ?? new ProcessingOptions { IdempotencyTableName = "Idem" + Guid.NewGuid().ToString("N")[..12] };
        Store = new TableIdempotencyStore(tables, Microsoft.Extensions.Options.Options.Create(Options), Time);
        Pipeline = new EventPipeline(Store, Microsoft.Extensions.Options.Options.Create(Options), Time, Logger);
    }

    public ProcessingOptions Options { get; }
    public ManualTimeProvider Time { get; } = new();
    public ListLogger<EventPipeline> Logger { get; } = new();
    public TableIdempotencyStore Store { get; }
    public EventPipeline Pipeline { get; }

    /// <summary>Another store instance over the same table, as another worker process has.</summary>
    public TableIdempotencyStore CreateStore() => new(_tables, Microsoft.Extensions.Options.Options.Create(Options), Time);

    public Task<ProcessingResult> ProcessAsync(string body, IConsumerAction action, string? messageId = null) =>
        Pipeline.ProcessAsync(new InboundMessage(Encoding.UTF8.GetBytes(body), MessageId: messageId), action, CancellationToken.None);

    /// <summary>An order.created exactly as Collector sends it (no id), with a chosen order number.</summary>
    public static string OrderCreated(string orderNumber = "ORD-2024-001", string? correlationId = "corr-123", string tenant = "tenant-123", string quantity = "5") => $$"""
        {
          "type": "order.created",
          "timestamp": "2024-01-15T10:35:00.000Z",
          "tenantId": "{{tenant}}",
          "source": "orders-service",
          {{(correlationId is null ? "" : $"\"correlationId\": \"{correlationId}\",")}}
          "data": {
            "orderId": "8d0c5a8e-3c1b-4a53-9a43-0d6a4f1f1a01",
            "orderNumber": "{{orderNumber}}",
            "customerId": "c0ffee00-0000-4000-8000-000000000001",
            "lineItems": [
              { "productId": "p-1", "sku": "SKU-123", "description": "Product Name", "quantity": {{quantity}}, "unitPrice": "300.00", "warehouseId": "wh-1" }
            ],
            "currency": "USD",
            "grandTotal": "1500.00"
          }
        }
        """;
}

/// <summary>A test action: consumes order.created, emits one stock.reserved per line and writes one row.</summary>
internal sealed class ScriptedAction(Func<ActionContext, int, Task>? behaviour = null, EventBus bus = EventBus.Collector) : IConsumerAction
{
    private int _runs;

    public int Runs => _runs;

    public ConsumerDefinition Definition { get; } =
        new("ReserveStock", "inventory.reserve-stock-" + Guid.NewGuid().ToString("N")[..6], bus, [EventTypes.Collector.OrderCreated])
        {
            Emits = [EventTypes.Collector.StockReserved],
            Writes = [typeof(ReservationRow)],
        };

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var run = Interlocked.Increment(ref _runs);
        if (behaviour is not null) await behaviour(context, run);
        context.Emit(EventTypes.Collector.StockReserved, new { orderId = "order-1", run = 1 }, partitionKey: "order-1");
        context.Write(new ReservationRow($"{context.Event.Id}:1", "order-1", 5m));
    }

    [SqlTable("StockReservations")]
    internal sealed record ReservationRow(string ReservationId, string OrderId, decimal Quantity);
}
