using System.Globalization;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Procurement;

/// <summary>
/// stock.low -> purchase-order.created and a PurchaseOrders record: a purchase order bringing the product's
/// available stock in that warehouse back up to its reorder level (quantity = reorderLevel - currentQuantity),
/// unless an order for that product and warehouse is still open (not fully received).
/// </summary>
/// <remarks>
/// <para>The order's id derives from the stock.low that raised it, so a re-run raises the same order; a later
/// stock.low while it is open raises none. ReceiveStock counts receipts against the order and closes it.</para>
/// <para>Its number is PO-&lt;year&gt;-&lt;first 8 hex digits of its id&gt;: Collector-style, unique, and derivable
/// without a counter that a re-run could advance twice.</para>
/// <para>A stock.low whose current quantity is negative or not below the reorder level has nothing to order
/// and is invalid input.</para>
/// </remarks>
public sealed class CreatePurchaseOrder(ITableServiceClient tables) : IConsumerAction
{
    private readonly PurchaseOrderBooks _books = new(tables);

    public ConsumerDefinition Definition => Consumers.CreatePurchaseOrder;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var low = context.PayloadAs<StockLow>();
        var tenant = context.Tenant;
        InputRules.NotBlank(low.ProductId, "$.data.productId");
        InputRules.NotBlank(low.WarehouseId, "$.data.warehouseId");
        var current = InputRules.NotNegative(low.CurrentQuantity, "$.data.currentQuantity");
        var reorderLevel = InputRules.Positive(low.ReorderLevel, "$.data.reorderLevel");
        if (current >= reorderLevel)
            throw EventValidationException.Invalid(
                $"currentQuantity {current} is not below reorderLevel {reorderLevel}; there is nothing to order.", "$.data.currentQuantity");

        var createdAt = context.OccurredAt();
        var purchaseOrderId = DerivedIds.Uuid("purchase-order", tenant, context.Event.Id);
        var (raised, order) = await _books.RaiseAsync(tenant, new PurchaseOrderEntry
        {
            PurchaseOrderId = purchaseOrderId,
            PurchaseOrderNumber = string.Create(CultureInfo.InvariantCulture, $"PO-{createdAt.UtcDateTime.Year}-{purchaseOrderId[..8].ToUpperInvariant()}"),
            EventId = context.Event.Id,
            ProductId = low.ProductId,
            ProductName = low.ProductName,
            Sku = low.Sku,
            WarehouseId = low.WarehouseId,
            WarehouseName = low.WarehouseName,
            Quantity = reorderLevel - current,
            CurrentQuantity = current,
            ReorderLevel = reorderLevel,
            ReceivedQuantity = 0m,
            Status = PurchaseOrderStatus.Open,
            CreatedAt = createdAt,
        }, cancellationToken).ConfigureAwait(false);
        if (!raised) return;

        context.Emit(EventTypes.Collector.PurchaseOrderCreated, new PurchaseOrderCreated
        {
            PurchaseOrderId = order.PurchaseOrderId,
            PurchaseOrderNumber = order.PurchaseOrderNumber,
            ProductId = order.ProductId,
            Sku = order.Sku,
            WarehouseId = order.WarehouseId,
            Quantity = order.Quantity,
            CurrentQuantity = order.CurrentQuantity,
            ReorderLevel = order.ReorderLevel,
        }, partitionKey: order.PurchaseOrderId);
        // The order's latest state: after a crash, receipts may already have arrived against it.
        context.Write(PurchaseOrder.Of(tenant, order));
    }
}
