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
/// <para>All items of a dispatch are deducted or none, also when other orders and dispatches race for the same stock:
/// each item's stock is first held for the dispatch, items in (product, warehouse) order; when one cannot be, every hold
/// is given back and the dispatch is dead-lettered with nothing changed. Once all are held the dispatch is decided
/// (<see cref="StockDispatches"/>) and then applied item by item; a run that stops half-way is completed by the re-run,
/// which finds the stock still held.</para>
/// <para>An order ships in one delivery (one delivery note per order), so a dispatch settles the order's whole
/// reservation of each item: what it held beyond the quantity shipped is free again. Shipping what was held
/// leaves available stock as it was (the reservation had already taken it), so stock.low comes from the
/// reservation; a dispatch fires it only when it ships more than was held.</para>
/// <para>An item may take the order's reservation plus free stock, never other orders' reservations: more than
/// that, like an item of a product the warehouse does not stock, is invalid input. Items of one product in one
/// warehouse are shipped together.</para>
/// <para>The dispatch is also the order's last word for Inventory: an order.created arriving after it reserves nothing.
/// A re-sent copy of a dispatch deducts nothing more; while another copy is holding stock, it waits (transient).</para>
/// </remarks>
public sealed class DeductStock(ITableServiceClient tables) : IConsumerAction
{
    private readonly StockLevels _stock = new(tables);
    private readonly StockDispatches _dispatches = new(tables);
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

        var decided = await _dispatches.GetAsync(tenant, dispatch.DeliveryNoteId, cancellationToken).ConfigureAwait(false);
        if (decided is null)
        {
            foreach (var item in items)
                _ = await _stock.GetAsync(tenant, item.ProductId, item.WarehouseId, cancellationToken).ConfigureAwait(false)
                    ?? throw EventValidationException.Invalid($"Product '{item.ProductId}' is not stocked in warehouse '{item.WarehouseId}'.", item.Path + ".productId");
            decided = await HoldAsync(context, dispatch, items, cancellationToken).ConfigureAwait(false);
        }

        await _reservations.DecideAsync(tenant, new OrderReservation
        {
            OrderId = decided.OrderId,
            EventId = decided.EventId,
            Status = OrderReservationStatus.Dispatched,
        }, cancellationToken).ConfigureAwait(false);

        var applied = new Dictionary<StockDispatchLine, (StockOperation Operation, StockLow? Low)>();
        foreach (var line in decided.Lines.OrderBy(l => l.ProductId, StringComparer.Ordinal).ThenBy(l => l.WarehouseId, StringComparer.Ordinal))
            applied[line] = await _stock.ApplyDispatchAsync(tenant, line.ProductId, line.WarehouseId, decided.DeliveryNoteId, decided.OrderId, decided.EventId,
                decided.At, cancellationToken).ConfigureAwait(false);

        foreach (var line in decided.Lines)
        {
            var (operation, low) = applied[line];
            // Only the event that decided the dispatch announces its stock.low; a re-sent copy finds it announced.
            if (low is not null && operation.EventId == context.Event.Id) context.Emit(EventTypes.Collector.StockLow, low, partitionKey: low.ProductId);
            context.Write(new StockMovement
            {
                MovementId = DerivedIds.Uuid("stock-movement", tenant, StockMovement.DispatchType, decided.DeliveryNoteId, line.ProductId, line.WarehouseId),
                TenantId = tenant,
                ProductId = line.ProductId,
                WarehouseId = line.WarehouseId,
                MovementType = StockMovement.DispatchType,
                Quantity = -line.Quantity,
                OrderId = decided.OrderId,
                DeliveryNoteId = decided.DeliveryNoteId,
                OccurredAt = operation.At,
            });
        }
    }

    /// <summary>Holds every item's stock, then decides the dispatch; gives every hold back and refuses when one item cannot be held.</summary>
    private async Task<StockDispatch> HoldAsync(ActionContext context, DeliveryDispatched dispatch, IReadOnlyList<ShippedItem> items, CancellationToken cancellationToken)
    {
        var tenant = context.Tenant;
        var cause = new StockCause(context.Event.Id, context.OccurredAt());
        var held = new List<ShippedItem>();
        foreach (var item in items.OrderBy(s => s.ProductId, StringComparer.Ordinal).ThenBy(s => s.WarehouseId, StringComparer.Ordinal))
        {
            var result = await _stock.HoldAsync(tenant, item.ProductId, item.WarehouseId, dispatch.DeliveryNoteId, dispatch.OrderId, item.Quantity, cause, cancellationToken).ConfigureAwait(false);
            if (result.Status == StockHoldStatus.Held)
            {
                held.Add(item);
                continue;
            }
            await GiveBackAsync(tenant, dispatch, held, context.Event.Id, cancellationToken).ConfigureAwait(false);
            switch (result.Status)
            {
                case StockHoldStatus.TooMuch:
                    throw EventValidationException.Invalid(
                        $"Shipping {item.Quantity} of product '{item.ProductId}' from warehouse '{item.WarehouseId}' exceeds what order '{dispatch.OrderId}' may take: " +
                        $"its reservation ({result.OrderHeld}) plus free stock ({result.Available}).", item.Path + ".quantity");
                case StockHoldStatus.HeldByOther:
                    throw new TransientProcessingException($"Delivery note {dispatch.DeliveryNoteId} is being dispatched by another copy of its event; this one waits for it.");
                default: // applied by another copy, which decided it first
                    return await _dispatches.GetAsync(tenant, dispatch.DeliveryNoteId, cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"Delivery note {dispatch.DeliveryNoteId} is applied but not decided.");
            }
        }

        var stands = await _dispatches.DecideAsync(tenant, new StockDispatch
        {
            DeliveryNoteId = dispatch.DeliveryNoteId,
            OrderId = dispatch.OrderId,
            EventId = context.Event.Id,
            At = cause.At,
            Lines = [.. items.Select(i => new StockDispatchLine(i.ProductId, i.WarehouseId, i.Quantity))],
        }, cancellationToken).ConfigureAwait(false);
        if (stands.EventId != context.Event.Id) await GiveBackAsync(tenant, dispatch, held, context.Event.Id, cancellationToken).ConfigureAwait(false);
        return stands;
    }

    /// <summary>
    /// Gives back this event's holds. What a hold took from the order's reservation returns to the order; if the order's
    /// reservation did not stand meanwhile, that is released too, as ReserveStock would have done had it found it.
    /// </summary>
    private async Task GiveBackAsync(string tenant, DeliveryDispatched dispatch, IReadOnlyList<ShippedItem> held, string eventId, CancellationToken cancellationToken)
    {
        foreach (var item in held)
            await _stock.UnholdAsync(tenant, item.ProductId, item.WarehouseId, dispatch.DeliveryNoteId, dispatch.OrderId, eventId, cancellationToken).ConfigureAwait(false);
        if (held.Count > 0 && await _reservations.GetAsync(tenant, dispatch.OrderId, cancellationToken).ConfigureAwait(false) is { Status: not OrderReservationStatus.Reserved })
            foreach (var item in held)
                await _stock.ReleaseAsync(tenant, item.ProductId, item.WarehouseId, dispatch.OrderId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The shipped quantity of one product from one warehouse; <paramref name="Path"/> is its first item's.</summary>
    private sealed record ShippedItem(string ProductId, string WarehouseId, decimal Quantity, string Path);
}
