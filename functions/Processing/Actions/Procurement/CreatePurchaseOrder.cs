using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Procurement;

/// <summary>
/// stock.low -> a purchase order that brings the stock back up to its reorder level: quantity = reorderLevel -
/// currentQuantity. None while a purchase order for the same product and warehouse is still open (not yet received),
/// because that one is already on its way.
/// </summary>
public sealed class CreatePurchaseOrder(ITableServiceClient tables) : IConsumerAction
{
    private readonly OpenPurchaseOrders _orders = new(tables);

    public ConsumerDefinition Definition => Consumers.CreatePurchaseOrder;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var low = context.PayloadAs<StockLow>();
        InputRules.NotBlank(low.ProductId, "$.data.productId");
        InputRules.NotBlank(low.WarehouseId, "$.data.warehouseId");
        InputRules.NotNegative(low.ReorderLevel, "$.data.reorderLevel");
        var quantity = low.ReorderLevel - low.CurrentQuantity;
        if (quantity <= 0)
            throw EventValidationException.Invalid(
                $"currentQuantity {low.CurrentQuantity} is not below reorderLevel {low.ReorderLevel}; nothing to order.", "$.data.currentQuantity");

        var id = DerivedIds.Uuid("purchase-order", context.Tenant, context.Event.Id);
        var candidate = new PurchaseOrderState(new PurchaseOrder
        {
            PurchaseOrderId = id,
            TenantId = context.Tenant,
            PurchaseOrderNumber = "PO-" + id[..8].ToUpperInvariant(),
            ProductId = low.ProductId,
            Sku = low.Sku,
            WarehouseId = low.WarehouseId,
            Quantity = quantity,
            Status = PurchaseOrderStatus.Open,
            CreatedAt = context.OccurredAt(),
        }, context.Event.Id);
        var standing = await _orders.OpenAsync(context.Tenant, candidate, cancellationToken).ConfigureAwait(false);
        // Another stock.low's order is still open; a re-run of the event that opened this one emits it again.
        if (standing.EventId != context.Event.Id || standing.Order.PurchaseOrderId != id) return;

        context.Emit(EventTypes.Collector.PurchaseOrderCreated, new PurchaseOrderCreated
        {
            PurchaseOrderId = id,
            PurchaseOrderNumber = candidate.Order.PurchaseOrderNumber,
            ProductId = low.ProductId,
            Sku = low.Sku,
            WarehouseId = low.WarehouseId,
            Quantity = quantity,
            CurrentQuantity = low.CurrentQuantity,
            ReorderLevel = low.ReorderLevel,
        }, partitionKey: id);
        context.Write(candidate.Order);
    }
}
