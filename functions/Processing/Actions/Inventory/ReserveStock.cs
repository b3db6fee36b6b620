using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory;

/// <summary>
/// order.created -> stock.reserved, or stock.reservation-failed; stock.low for each level the reservation takes
/// below its reorder level. Reservations never take available stock below zero.
/// </summary>
/// <remarks>
/// <para>All or nothing per order: an order is reserved only if every line is, because a customer's order ships
/// whole (one delivery note per order) and a half-held order only blocks stock others could ship. When a line
/// lacks stock, what the order's earlier lines took is given back and stock.reservation-failed names every
/// short line with what was free.</para>
/// <para>Lines of one product in one warehouse are held together. Levels are taken in (product, warehouse)
/// order, so two orders competing for the same items meet on the same item first and one of them wins,
/// instead of each holding a part the other needs.</para>
/// <para>A line without a warehouse goes to the product's primary warehouse, or to the only warehouse stocking
/// it. The choice is deterministic, never "wherever there is stock now", so a re-run holds the very same
/// levels. A product the chosen warehouse does not stock, a product no warehouse stocks, and a product in
/// several warehouses of which none is primary are invalid input: no retry can make such a line reservable.</para>
/// <para>The decision is recorded per order (<see cref="OrderReservations"/>): a re-sent copy of order.created,
/// or one arriving after the order shipped, changes nothing, and a re-run after a crash announces what was decided.</para>
/// </remarks>
public sealed class ReserveStock(ITableServiceClient tables) : IConsumerAction
{
    private readonly StockLevels _stock = new(tables);
    private readonly OrderReservations _reservations = new(tables);

    public ConsumerDefinition Definition => Consumers.ReserveStock;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var order = context.PayloadAs<OrderCreated>();
        var tenant = context.Tenant;
        InputRules.NotBlank(order.OrderId, "$.data.orderId");
        InputRules.NotEmpty(order.LineItems, "$.data.lineItems");
        for (var i = 0; i < order.LineItems.Count; i++)
        {
            InputRules.NotBlank(order.LineItems[i].ProductId, $"$.data.lineItems[{i}].productId");
            InputRules.Positive(order.LineItems[i].Quantity, $"$.data.lineItems[{i}].quantity");
        }

        if (await _reservations.GetAsync(tenant, order.OrderId, cancellationToken).ConfigureAwait(false) is { } decided)
        {
            if (decided.EventId != context.Event.Id) return; // a re-sent copy, or an order that shipped already
            await SettleAsync(tenant, order.OrderId, decided, decided.Lines, cancellationToken).ConfigureAwait(false);
            Announce(context, decided);
            return;
        }

        var lines = await ResolveLinesAsync(tenant, order.LineItems, cancellationToken).ConfigureAwait(false);
        var candidate = await ReserveAsync(context, order, lines, cancellationToken).ConfigureAwait(false);
        var stands = await _reservations.DecideAsync(tenant, candidate, cancellationToken).ConfigureAwait(false);
        await SettleAsync(tenant, order.OrderId, stands, lines, cancellationToken).ConfigureAwait(false);
        if (stands.EventId == context.Event.Id) Announce(context, stands);
    }

    /// <summary>Each line's warehouse, and lines of one product in one warehouse merged, in order of first appearance.</summary>
    private async Task<StockReservationLine[]> ResolveLinesAsync(string tenant, IReadOnlyList<OrderLineItem> items, CancellationToken cancellationToken)
    {
        var lines = new List<StockReservationLine>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var warehouseId = await WarehouseOfAsync(tenant, item, $"$.data.lineItems[{i}]", cancellationToken).ConfigureAwait(false);
            var same = lines.FindIndex(l => l.ProductId == item.ProductId && l.WarehouseId == warehouseId);
            if (same < 0) lines.Add(new StockReservationLine { ProductId = item.ProductId, WarehouseId = warehouseId, Quantity = item.Quantity });
            else lines[same] = lines[same] with { Quantity = lines[same].Quantity + item.Quantity };
        }
        return lines.ToArray();
    }

    private async Task<string> WarehouseOfAsync(string tenant, OrderLineItem item, string path, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(item.WarehouseId))
        {
            return await _stock.GetAsync(tenant, item.ProductId, item.WarehouseId, cancellationToken).ConfigureAwait(false) is not null
                ? item.WarehouseId
                : throw EventValidationException.Invalid($"Product '{item.ProductId}' is not stocked in warehouse '{item.WarehouseId}'.", path + ".productId");
        }
        var levels = await _stock.ListProductAsync(tenant, item.ProductId, cancellationToken).ConfigureAwait(false);
        if (levels.Count == 0) throw EventValidationException.Invalid($"Product '{item.ProductId}' is not stocked in any warehouse.", path + ".productId");
        if (levels.Count == 1) return levels[0].WarehouseId;
        var primary = levels.Where(l => l.Primary).ToArray();
        return primary.Length == 1
            ? primary[0].WarehouseId
            : throw EventValidationException.Invalid(
                $"The line names no warehouse, and product '{item.ProductId}' is stocked in {levels.Count} warehouses " +
                $"({string.Join(", ", levels.Select(l => l.WarehouseId))}) without one primary warehouse.", path + ".warehouseId");
    }

    /// <summary>Holds line after line until one is short; the rest are only checked, so the failure names every short line.</summary>
    private async Task<OrderReservation> ReserveAsync(ActionContext context, OrderCreated order, StockReservationLine[] lines, CancellationToken cancellationToken)
    {
        var lows = new Dictionary<StockReservationLine, StockLow>();
        var shortages = new Dictionary<StockReservationLine, decimal>();
        foreach (var line in lines.OrderBy(l => l.ProductId, StringComparer.Ordinal).ThenBy(l => l.WarehouseId, StringComparer.Ordinal))
        {
            if (shortages.Count == 0)
            {
                var result = await _stock.ReserveAsync(context.Tenant, line.ProductId, line.WarehouseId, order.OrderId, line.Quantity, cancellationToken).ConfigureAwait(false);
                if (!result.Reserved) shortages[line] = result.Available;
                else if (result.Low is { } low) lows[line] = low;
            }
            else
            {
                var level = (await _stock.GetAsync(context.Tenant, line.ProductId, line.WarehouseId, cancellationToken).ConfigureAwait(false))!;
                var free = level.Available + await _stock.HeldForAsync(context.Tenant, line.ProductId, line.WarehouseId, order.OrderId, cancellationToken).ConfigureAwait(false);
                if (line.Quantity > free) shortages[line] = free;
            }
        }

        var decision = new OrderReservation { OrderId = order.OrderId, EventId = context.Event.Id, Status = OrderReservationStatus.Reserved, Lines = lines };
        if (shortages.Count == 0)
        {
            return decision with
            {
                Reserved = new StockReserved { OrderId = order.OrderId, OrderNumber = order.OrderNumber, Lines = lines },
                StockLows = lines.Where(lows.ContainsKey).Select(l => lows[l]).ToArray(),
            };
        }
        return decision with
        {
            Status = OrderReservationStatus.Failed,
            Failure = new StockReservationFailed
            {
                OrderId = order.OrderId,
                OrderNumber = order.OrderNumber,
                Reason = $"Not enough stock for {shortages.Count} of {lines.Length} lines; nothing is reserved for the order.",
                Shortages = lines.Where(shortages.ContainsKey).Select(l => new StockShortage
                {
                    ProductId = l.ProductId,
                    WarehouseId = l.WarehouseId,
                    RequestedQuantity = l.Quantity,
                    AvailableQuantity = shortages[l],
                }).ToArray(),
            },
        };
    }

    /// <summary>Makes the levels agree with the decision that stands: the order keeps only what a reservation that stands holds.</summary>
    private async Task SettleAsync(string tenant, string orderId, OrderReservation stands, IReadOnlyList<StockReservationLine> touched, CancellationToken cancellationToken)
    {
        var kept = stands.Status == OrderReservationStatus.Reserved ? stands.Lines : [];
        var release = touched.Concat(stands.Lines)
            .Select(l => (l.ProductId, l.WarehouseId))
            .Except(kept.Select(l => (l.ProductId, l.WarehouseId)));
        foreach (var (productId, warehouseId) in release)
            await _stock.ReleaseAsync(tenant, productId, warehouseId, orderId, cancellationToken).ConfigureAwait(false);
    }

    private static void Announce(ActionContext context, OrderReservation decision)
    {
        switch (decision.Status)
        {
            case OrderReservationStatus.Reserved:
                context.Emit(EventTypes.Collector.StockReserved, decision.Reserved!, partitionKey: decision.OrderId);
                foreach (var low in decision.StockLows) context.Emit(EventTypes.Collector.StockLow, low, partitionKey: low.ProductId);
                break;
            case OrderReservationStatus.Failed:
                context.Emit(EventTypes.Collector.StockReservationFailed, decision.Failure!, partitionKey: decision.OrderId);
                break;
        }
    }
}
