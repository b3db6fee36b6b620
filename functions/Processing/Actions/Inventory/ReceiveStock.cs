using System.Globalization;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Actions.Procurement;
using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory;

/// <summary>
/// stock.received -> the quantity on hand, a StockMovement record, and, when the receipt names a purchase order,
/// the order's received quantity and a PurchaseOrderReceipts row of its own (the PurchaseOrders row is never rewritten,
/// so a late or replayed write cannot take the order's state backwards). This closes the
/// procurement loop: stock back at or above the reorder level arms stock.low again, and so does a receipt that
/// completes a purchase order while stock is still below it, so the next fall raises a new order.
/// </summary>
/// <remarks>
/// <para>A receipt is identified by what it records (product, warehouse, quantity, time received, purchase
/// order), so a re-sent copy of stock.received is the same receipt and counts once. Without receivedAt only the
/// event identifies it.</para>
/// <para>Invalid input, dead-lettered before anything changes: a product the warehouse does not stock (no reorder
/// level to manage it by), a SKU that is not the product's, and a purchase order that was not raised for this
/// product and warehouse (goods arriving against a wrong order need someone to look at them).</para>
/// </remarks>
public sealed class ReceiveStock(ITableServiceClient tables) : IConsumerAction
{
    private readonly StockLevels _stock = new(tables);
    private readonly PurchaseOrderBooks _purchaseOrders = new(tables);

    public ConsumerDefinition Definition => Consumers.ReceiveStock;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var receipt = context.PayloadAs<StockReceived>();
        var tenant = context.Tenant;
        InputRules.NotBlank(receipt.ProductId, "$.data.productId");
        InputRules.NotBlank(receipt.WarehouseId, "$.data.warehouseId");
        var quantity = InputRules.Positive(receipt.Quantity, "$.data.quantity");
        var level = await _stock.GetAsync(tenant, receipt.ProductId, receipt.WarehouseId, cancellationToken).ConfigureAwait(false)
            ?? throw EventValidationException.Invalid($"Product '{receipt.ProductId}' is not stocked in warehouse '{receipt.WarehouseId}'.", "$.data.productId");
        if (!string.IsNullOrWhiteSpace(receipt.Sku) && receipt.Sku != level.Sku)
            throw EventValidationException.Invalid($"SKU '{receipt.Sku}' is not the SKU of product '{receipt.ProductId}' ('{level.Sku}').", "$.data.sku");

        var purchaseOrderId = string.IsNullOrWhiteSpace(receipt.PurchaseOrderId) ? null : receipt.PurchaseOrderId;
        var receivedAt = receipt.ReceivedAt ?? context.OccurredAt();
        var receiptId = receipt.ReceivedAt is { } at
            ? DerivedIds.Uuid("receipt", tenant, receipt.ProductId, receipt.WarehouseId, quantity.ToString("G29", CultureInfo.InvariantCulture),
                at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), purchaseOrderId ?? "")
            : DerivedIds.Uuid("receipt", tenant, context.Event.Id);

        // The order first: a wrong order reference is refused before stock changes, and the stock update learns
        // whether this receipt completed the order.
        PurchaseOrderEntry? order = null;
        if (purchaseOrderId is not null)
        {
            order = await _purchaseOrders.ReceiveAsync(tenant, receipt.ProductId, receipt.WarehouseId, purchaseOrderId, receiptId, quantity, receivedAt, cancellationToken).ConfigureAwait(false)
                ?? throw EventValidationException.Invalid(
                    $"Purchase order '{purchaseOrderId}' was not raised for product '{receipt.ProductId}' in warehouse '{receipt.WarehouseId}'.", "$.data.purchaseOrderId");
        }
        var completesOrder = order?.CompletedBy == receiptId;
        var received = await _stock.ReceiveAsync(tenant, receipt.ProductId, receipt.WarehouseId, receiptId, quantity, completesOrder,
            new StockCause(context.Event.Id, receivedAt), cancellationToken).ConfigureAwait(false);

        context.Write(new StockMovement
        {
            MovementId = DerivedIds.Uuid("stock-movement", tenant, StockMovement.ReceiptType, receiptId),
            TenantId = tenant,
            ProductId = receipt.ProductId,
            WarehouseId = receipt.WarehouseId,
            MovementType = StockMovement.ReceiptType,
            Quantity = quantity,
            PurchaseOrderId = purchaseOrderId,
            OccurredAt = received.At,
        });
        if (order is not null)
            context.Write(new PurchaseOrderReceipt
            {
                ReceiptId = receiptId,
                TenantId = tenant,
                PurchaseOrderId = order.PurchaseOrderId,
                PurchaseOrderNumber = order.PurchaseOrderNumber,
                ProductId = receipt.ProductId,
                WarehouseId = receipt.WarehouseId,
                Quantity = quantity,
                CompletesOrder = completesOrder,
                ReceivedAt = receivedAt,
            });
    }
}
