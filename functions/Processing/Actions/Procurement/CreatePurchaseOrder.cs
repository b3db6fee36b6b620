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
/// <para>Its number is PO-&lt;year&gt;-&lt;sequence&gt; (PO-2026-000123), unique per tenant and year
/// (<see cref="PurchaseOrderNumbers"/>); a re-run finds the order its first run raised and keeps that number.</para>
/// <para>The PurchaseOrders row is what was ordered and is never rewritten; receipts are rows of their own
/// (PurchaseOrderReceipts, written by ReceiveStock), so no replayed or late write can take an order's state backwards.</para>
/// <para>A stock.low whose current quantity is negative or not below the reorder level has nothing to order
/// and is invalid input.</para>
/// </remarks>
public sealed class CreatePurchaseOrder(ITableServiceClient tables) : IConsumerAction
{
    private readonly PurchaseOrderBooks _books = new(tables);
    private readonly PurchaseOrderNumbers _numbers = new(tables);

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

        // A number is taken only when an order may be raised: not for a stock.low that meets an open order, nor on a re-run.
        var book = await _books.GetAsync(tenant, low.ProductId, low.WarehouseId, cancellationToken).ConfigureAwait(false);
        var earlierRun = book?.Orders.FirstOrDefault(o => o.EventId == context.Event.Id);
        if (earlierRun is null && book?.Orders.Any(o => o.IsOpen) == true) return;
        var createdAt = context.OccurredAt();
        var purchaseOrderId = DerivedIds.Uuid("purchase-order", tenant, context.Event.Id);
        var number = earlierRun?.PurchaseOrderNumber
            ?? await _numbers.NextAsync(tenant, createdAt.UtcDateTime.Year, cancellationToken).ConfigureAwait(false);
        var (raised, order) = await _books.RaiseAsync(tenant, new PurchaseOrderEntry
        {
            PurchaseOrderId = purchaseOrderId,
            PurchaseOrderNumber = number,
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
        context.Write(PurchaseOrder.Of(tenant, order));
    }
}
