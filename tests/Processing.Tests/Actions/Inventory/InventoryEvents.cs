using System.Text;
using System.Text.Json.Nodes;
using Azure;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.Actions.Inventory;

/// <summary>Stock set-up and the Collector events of the stock flow, as Collector sends them (no id).</summary>
internal static class InventoryEvents
{
    public const string Product = "p-4711";
    public const string Warehouse = "wh-1";
    public const string WarehouseName = "Main Warehouse";

    public static StockItem Item(string productId = Product, string warehouseId = Warehouse, decimal onHand = 100m, decimal reorderLevel = 20m,
        decimal minimumThreshold = 10m, bool primary = false) => new()
    {
        ProductId = productId,
        ProductName = $"Product {productId}",
        Sku = $"SKU-{productId}",
        WarehouseId = warehouseId,
        WarehouseName = warehouseId == Warehouse ? WarehouseName : $"Warehouse {warehouseId}",
        OnHand = onHand,
        ReorderLevel = reorderLevel,
        MinimumThreshold = minimumThreshold,
        Primary = primary,
    };

    public static (string ProductId, decimal Quantity, string? WarehouseId) Line(decimal quantity, string productId = Product, string? warehouseId = Warehouse) =>
        (productId, quantity, warehouseId);

    public static JsonObject OrderCreatedWith(string orderId = OrderToCashEvents.OrderId, params (string ProductId, decimal Quantity, string? WarehouseId)[] lines)
    {
        var items = new JsonArray();
        foreach (var (productId, quantity, warehouseId) in lines.Length == 0 ? [Line(5m)] : lines)
        {
            var item = new JsonObject
            {
                ["productId"] = productId,
                ["sku"] = $"SKU-{productId}",
                ["description"] = $"Product {productId}",
                ["quantity"] = quantity,
                ["unitPrice"] = "300.00",
            };
            if (warehouseId is not null) item["warehouseId"] = warehouseId;
            items.Add(item);
        }
        return new JsonObject
        {
            ["orderId"] = orderId,
            ["orderNumber"] = "ORD-" + orderId,
            ["customerId"] = "c0ffee00-0000-4000-8000-000000000001",
            ["lineItems"] = items,
            ["currency"] = "USD",
            ["grandTotal"] = "1500.00",
        };
    }

    public static JsonObject DeliveryDispatched(string deliveryNoteId = OrderToCashEvents.DeliveryNoteId, string orderId = OrderToCashEvents.OrderId,
        params (string ProductId, decimal Quantity, string? WarehouseId)[] items)
    {
        var array = new JsonArray();
        foreach (var (productId, quantity, warehouseId) in items.Length == 0 ? [Line(5m)] : items)
            array.Add(new JsonObject { ["productId"] = productId, ["quantity"] = quantity, ["warehouseId"] = warehouseId });
        return new JsonObject
        {
            ["deliveryNoteId"] = deliveryNoteId,
            ["deliveryNumber"] = "DN-" + deliveryNoteId,
            ["orderId"] = orderId,
            ["items"] = array,
            ["trackingNumber"] = "TRACK123",
        };
    }

    public static JsonObject StockReceived(decimal quantity, string productId = Product, string warehouseId = Warehouse,
        string? purchaseOrderId = null, string? receivedAt = "2024-01-20T08:00:00.000Z")
    {
        var data = new JsonObject { ["productId"] = productId, ["sku"] = $"SKU-{productId}", ["warehouseId"] = warehouseId, ["quantity"] = quantity };
        if (purchaseOrderId is not null) data["purchaseOrderId"] = purchaseOrderId;
        if (receivedAt is not null) data["receivedAt"] = receivedAt;
        return data;
    }

    /// <summary>Asserts the event's type, partition key and payload, field by field (lists included).</summary>
    public static void AssertEvent<T>(CloudEvent e, string type, string partitionKey, T expected) where T : notnull
    {
        Assert.Equal(type, e.Type);
        Assert.Equal(partitionKey, e.PartitionKey);
        Assert.Equivalent(expected, e.DataAs<T>(), strict: true);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the event directly, without the pipeline's idempotency record: what a
    /// worker does when it takes over an event whose first worker died after changing state.
    /// </summary>
    public static async Task<ProcessingResult> RunDirectlyAsync(IConsumerAction action, string envelope)
    {
        var e = new EnvelopeReader().Read(new InboundMessage(Encoding.UTF8.GetBytes(envelope))).GetValueOrThrow();
        Assert.True(EventCatalog.TryReadPayload(e, out var payload, out var error), error?.ToString());
        var context = new ActionContext(e, payload, action.Definition, new ManualTimeProvider());
        await action.HandleAsync(context, CancellationToken.None);
        return new ProcessingResult(ProcessingStatus.Completed, e, context.Outcome);
    }
}
