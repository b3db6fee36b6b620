using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory;

/// <summary>
/// delivery.dispatched -> the shipped quantities leave on-hand stock and settle the order's reservations
/// (a StockMovement record per item); stock.low where that takes available stock below the reorder level.
/// </summary>
/// <remarks>
/// <para>An order ships in one delivery (one delivery note per order), so a dispatch settles the order's whole
/// reservation of each item: what it held beyond the quantity shipped is free again. Shipping what was held
/// leaves available stock as it was (the reservation had already taken it), so stock.low comes from the
/// reservation; a dispatch fires it only when it ships more than was held.</para>
/// <para>An item may take the order's reservation plus free stock, never other orders' reservations: more than
/// that, like an item of a product the warehouse does not stock, is invalid input, dead-lettered before
/// anything changes. Items of one product in one warehouse are shipped together.</para>
/// <para>The dispatch is also the order's last word for Inventory: an order.created arriving after it reserves nothing.</para>
/// </remarks>
public sealed class DeductStock(ITableServiceClient tables) : IConsumerAction
{
    private readonly StockLevels _stock = new(tables);
    private readonly OrderReservations _reservations = new(tables);

    public ConsumerDefinition Definition => Consumers.DeductStock;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var dispatch = context.PayloadAs<DeliveryDispatched>();
        var tenant = context.Tenant;
        InputRules.NotBlank(dispatch.DeliveryNoteId, "$.data.deliveryNoteId");
        InputRules.NotBlank(dispatch.OrderId, "$.data.orderId");
        InputRules.NotEmpty(dispatch.Items, "$.data.items");

        var items = new List<ShippedItem>();
        for (var i = 0; i < dispatch.Items.Count; i++)
        {
            var item = dispatch.Items[i];
            var path = $"$.data.items[{i}]";
            InputRules.NotBlank(item.ProductId, path + ".productId");
            InputRules.NotBlank(item.WarehouseId, path + ".warehouseId");
            InputRules.Positive(item.Quantity, path + ".quantity");
            var same = items.FindIndex(s => s.ProductId == item.ProductId && s.WarehouseId == item.WarehouseId);
            if (same >= 0) items[same] = items[same] with { Quantity = items[same].Quantity + item.Quantity };
            else items.Add(new ShippedItem(item.ProductId, item.WarehouseId, item.Quantity, path));
        }
        foreach (var item in items)
        {
            var level = await _stock.GetAsync(tenant, item.ProductId, item.WarehouseId, cancellationToken).ConfigureAwait(false)
                ?? throw EventValidationException.Invalid($"Product '{item.ProductId}' is not stocked in warehouse '{item.WarehouseId}'.", item.Path + ".productId");
            if (!level.HasDispatched(dispatch.DeliveryNoteId) && item.Quantity > level.HeldFor(dispatch.OrderId) + level.Available)
                throw TooMuch(level, dispatch.OrderId, item);
        }

        await _reservations.DecideAsync(tenant, new OrderReservation
        {
            OrderId = dispatch.OrderId,
            EventId = context.Event.Id,
            Status = OrderReservationStatus.Dispatched,
        }, cancellationToken).ConfigureAwait(false);

        var cause = new StockCause(context.Event.Id, context.OccurredAt());
        var applied = new Dictionary<ShippedItem, (StockOperation Operation, StockLow? Low)>();
        foreach (var item in items.OrderBy(s => s.ProductId, StringComparer.Ordinal).ThenBy(s => s.WarehouseId, StringComparer.Ordinal))
        {
            // Checked again on the latest level: a reservation made since the check may have taken the free stock.
            applied[item] = await _stock.UpdateAsync(tenant, item.ProductId, item.WarehouseId, level =>
            {
                var (next, operation) = level.Dispatch(dispatch.OrderId, dispatch.DeliveryNoteId, item.Quantity, cause);
                return operation is null ? throw TooMuch(level, dispatch.OrderId, item) : (next, (operation, (next ?? level).LowOf(operation)));
            }, cancellationToken).ConfigureAwait(false);
        }

        foreach (var item in items)
        {
            var (operation, low) = applied[item];
            // A re-sent copy of the dispatch finds it applied by the first event, which announced its stock.low.
            if (low is not null && operation.EventId == context.Event.Id) context.Emit(EventTypes.Collector.StockLow, low, partitionKey: low.ProductId);
            context.Write(new StockMovement
            {
                MovementId = DerivedIds.Uuid("stock-movement", tenant, StockMovement.DispatchType, dispatch.DeliveryNoteId, item.ProductId, item.WarehouseId),
                TenantId = tenant,
                ProductId = item.ProductId,
                WarehouseId = item.WarehouseId,
                MovementType = StockMovement.DispatchType,
                Quantity = -item.Quantity,
                OrderId = dispatch.OrderId,
                DeliveryNoteId = dispatch.DeliveryNoteId,
                OccurredAt = operation.At,
            });
        }
    }

    private static EventValidationException TooMuch(StockLevel level, string orderId, ShippedItem item) => EventValidationException.Invalid(
        $"Shipping {item.Quantity} of product '{item.ProductId}' from warehouse '{item.WarehouseId}' exceeds what order '{orderId}' may take: " +
        $"its reservation ({level.HeldFor(orderId)}) plus free stock ({level.Available}).", item.Path + ".quantity");

    /// <summary>The shipped quantity of one product from one warehouse; <paramref name="Path"/> is its first item's.</summary>
    private sealed record ShippedItem(string ProductId, string WarehouseId, decimal Quantity, string Path);
}
