using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory;

/// <summary>
/// stock.received -> the quantity goes on hand; stock.low re-arms once available stock is back at or above the
/// reorder level. A receipt that names the open purchase order of that stock closes it (row status RECEIVED).
/// Each receipt is applied once, keyed by its event id.
/// </summary>
public sealed class ReceiveStock(ITableServiceClient tables) : IConsumerAction
{
    private readonly StockLevels _stock = new(tables);
    private readonly OpenPurchaseOrders _purchaseOrders = new(tables);

    public ConsumerDefinition Definition => Consumers.ReceiveStock;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var receipt = context.PayloadAs<StockReceived>();
        InputRules.NotBlank(receipt.ProductId, "$.data.productId");
        InputRules.NotBlank(receipt.WarehouseId, "$.data.warehouseId");
        var quantity = InputRules.Positive(receipt.Quantity, "$.data.quantity");
        var key = "receipt:" + context.Event.Id;

        await _stock.ChangeAsync(context.Tenant, receipt.WarehouseId, receipt.ProductId, "$.data", current =>
            current.Applied.Contains(key) ? current : (current with { OnHand = current.OnHand + quantity }).WithApplied(key).Settle(key),
            cancellationToken).ConfigureAwait(false);

        if (receipt.PurchaseOrderId is { } purchaseOrderId
            && await _purchaseOrders.ReceiveAsync(context.Tenant, receipt.WarehouseId, receipt.ProductId, purchaseOrderId,
                receipt.ReceivedAt ?? context.OccurredAt(), cancellationToken).ConfigureAwait(false) is { } received)
        {
            context.Write(received);
        }
    }
}
