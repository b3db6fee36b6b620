using System.Text.Json.Serialization;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.State;

namespace EventProcessors.Processing.Actions.Inventory.State;

/// <summary>
/// One product in one warehouse: what is on hand, what orders hold of it, and whether stock.low may fire.
/// Every change is an operation with a key derived from its cause (order, delivery note, receipt), so
/// applying the same cause twice changes nothing and reports what the first application did.
/// </summary>
/// <remarks>
/// <para>Available = on hand - reserved, and it never goes below zero: a reservation or dispatch that would
/// take more than is free is refused.</para>
/// <para>stock.low fires once per crossing: when a change lowers the available stock below the reorder level
/// while the level is armed. It stays silent until the level is armed again, which happens when available
/// stock is back at or above the reorder level, or when a receipt completes a purchase order (the order that
/// answered the last stock.low is closed, so the next fall must raise a new one).</para>
/// <para>The level is an entity of its own partition: this document keeps the totals, and each order's reservation,
/// each dispatch held and each operation applied is a row beside it (<see cref="ReservationRow"/>, <see cref="HoldRow"/>,
/// <see cref="OperationRow"/>), written together with the totals. However many orders hold stock here, a change reads and
/// writes the same few small rows.</para>
/// </remarks>
public sealed record StockLevel
{
    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required string WarehouseName { get; init; }
    /// <summary>Order lines that name no warehouse reserve the product here.</summary>
    public bool Primary { get; init; }
    public required decimal OnHand { get; init; }
    /// <summary>What orders hold here, and dispatches being applied: the sum of the level's reservation and hold rows.</summary>
    public decimal Reserved { get; init; }
    /// <summary>stock.low fires when available stock falls below it; purchase orders restore it.</summary>
    public required decimal ReorderLevel { get; init; }
    /// <summary>The safety stock, at most the reorder level; carried on stock.low for procurement to judge urgency.</summary>
    public decimal MinimumThreshold { get; init; }
    public bool LowArmed { get; init; } = true;
    /// <summary>The operation whose fall fired the current stock.low (null when armed).</summary>
    public string? LowFiredBy { get; init; }

    [JsonIgnore]
    public decimal Available => OnHand - Reserved;

    /// <summary>The row of what <paramref name="orderId"/> holds here.</summary>
    public static string ReservationRow(string orderId) => StateTable.Row("reservation", orderId);

    /// <summary>The row of the stock a dispatch of <paramref name="deliveryNoteId"/> holds until it is applied.</summary>
    public static string HoldRow(string deliveryNoteId) => StateTable.Row("hold", deliveryNoteId);

    /// <summary>The row recording that the operation <paramref name="key"/> was applied (dispatches and receipts).</summary>
    public static string OperationRow(string key) => StateTable.Row("operation", key);

    public static string DispatchKey(string deliveryNoteId) => "dispatch/" + deliveryNoteId;

    public static string ReceiptKey(string receiptId) => "receive/" + receiptId;

    /// <summary>
    /// Holds <paramref name="quantity"/> for the order if that much is free; an order already holding stock here keeps
    /// what it holds, and reports the stock.low its reservation fired whichever event made it (the order's recorded
    /// decision says which event announces it).
    /// </summary>
    public (EntityChange<StockLevel>? Next, StockReservationResult Result) Reserve(StockReservation? held, string orderId, decimal quantity)
    {
        if (held is not null) return (null, new StockReservationResult(true, Available, LowOf(held.StockLowAt)));
        if (quantity > Available) return (null, new StockReservationResult(false, Available, null));
        var (next, lowAt) = Settle(this with { Reserved = Reserved + quantity }, ReserveKey(orderId));
        return (new EntityChange<StockLevel>(next).Put(ReservationRow(orderId), new StockReservation { OrderId = orderId, Quantity = quantity, StockLowAt = lowAt }),
            new StockReservationResult(true, next.Available, LowOf(lowAt)));
    }

    /// <summary>
    /// Takes back what an order holds when its reservation as a whole did not stand (all-or-nothing). A stock.low
    /// that order's reservation fired was never announced, so the level is armed again.
    /// </summary>
    public EntityChange<StockLevel>? Release(StockReservation? held)
    {
        if (held is null) return null;
        return new EntityChange<StockLevel>(Rearm(this with { Reserved = Reserved - held.Quantity }, ReserveKey(held.OrderId)))
            .Delete(ReservationRow(held.OrderId));
    }

    /// <summary>
    /// The first step of a dispatch: sets aside what it ships, the order's reservation here plus free stock, so that
    /// nothing can take it before the dispatch is applied (<see cref="ApplyDispatch"/>) or given up (<see cref="Unhold"/>).
    /// The fall it causes is the dispatch's, and fires stock.low then; the quantity on hand changes only when applied.
    /// </summary>
    public (EntityChange<StockLevel>? Next, StockHoldResult Result) Hold(string deliveryNoteId, string orderId, decimal quantity, StockCause cause,
        StockReservation? held, DispatchHold? hold, StockOperation? applied)
    {
        if (applied is not null) return (null, StockHoldResult.AppliedBefore);
        if (hold is not null) return (null, hold.EventId == cause.EventId ? StockHoldResult.Held : StockHoldResult.HeldByOther);
        var fromReservation = held?.Quantity ?? 0m;
        if (quantity > fromReservation + Available) return (null, StockHoldResult.TooMuch(fromReservation, Available));
        var (next, lowAt) = Settle(this with { Reserved = Reserved - fromReservation + quantity }, DispatchKey(deliveryNoteId));
        var change = new EntityChange<StockLevel>(next).Put(HoldRow(deliveryNoteId), new DispatchHold
        {
            DeliveryNoteId = deliveryNoteId,
            OrderId = orderId,
            EventId = cause.EventId,
            Quantity = quantity,
            Reservation = held,
            StockLowAt = lowAt,
        });
        return (held is null ? change : change.Delete(ReservationRow(orderId)), StockHoldResult.Held);
    }

    /// <summary>
    /// Gives up a dispatch's hold: the stock is free again, and what it took from the order's reservation is the order's
    /// again (unless the order reserved anew meanwhile). A stock.low the hold fired was never announced: the level is armed again.
    /// </summary>
    public EntityChange<StockLevel>? Unhold(DispatchHold? hold, StockReservation? held)
    {
        if (hold is null) return null;
        var restore = held is null ? hold.Reservation : null;
        var next = Rearm(this with { Reserved = Reserved - hold.Quantity + (restore?.Quantity ?? 0m) }, DispatchKey(hold.DeliveryNoteId));
        var change = new EntityChange<StockLevel>(next).Delete(HoldRow(hold.DeliveryNoteId));
        return restore is null ? change : change.Put(ReservationRow(restore.OrderId), restore);
    }

    /// <summary>
    /// Applies a held dispatch: what it holds leaves on-hand stock, and the order's reservation here is settled (one
    /// delivery per order, so a reservation the order made after the hold is freed). Applied once: a dispatch applied
    /// before returns its recorded operation. <paramref name="committedBy"/> is the event that decided the dispatch,
    /// the one that announces its stock.low.
    /// </summary>
    public (EntityChange<StockLevel>? Next, StockOperation Applied) ApplyDispatch(string deliveryNoteId, string committedBy, DateTimeOffset at,
        DispatchHold? hold, StockReservation? held, StockOperation? applied)
    {
        if (applied is not null) return (null, applied);
        if (hold is null) throw new InvalidOperationException($"Dispatch {deliveryNoteId} of {ProductId} in {WarehouseId} is decided but holds no stock.");
        var key = DispatchKey(deliveryNoteId);
        var (next, _) = Settle(this with { OnHand = OnHand - hold.Quantity, Reserved = Reserved - hold.Quantity - (held?.Quantity ?? 0m) }, key);
        var operation = new StockOperation { Key = key, EventId = committedBy, At = at, StockLowAt = hold.StockLowAt };
        var change = new EntityChange<StockLevel>(next).Delete(HoldRow(deliveryNoteId)).Put(OperationRow(key), operation);
        return (held is null ? change : change.Delete(ReservationRow(held.OrderId)), operation);
    }

    /// <summary>
    /// Puts a receipt on hand, once per receipt id; returns the receipt's operation (applied now or before). A receipt
    /// that completes a purchase order arms stock.low again even below the reorder level.
    /// </summary>
    public (EntityChange<StockLevel>? Next, StockOperation Applied) Receive(string receiptId, decimal quantity, bool completesPurchaseOrder, StockCause cause,
        StockOperation? applied)
    {
        if (applied is not null) return (null, applied);
        var key = ReceiptKey(receiptId);
        var next = this with { OnHand = OnHand + quantity };
        if (completesPurchaseOrder) next = next with { LowArmed = true, LowFiredBy = null };
        (next, var lowAt) = Settle(next, key);
        var operation = new StockOperation { Key = key, EventId = cause.EventId, At = cause.At, StockLowAt = lowAt };
        return (new EntityChange<StockLevel>(next).Put(OperationRow(key), operation), operation);
    }

    /// <summary>The stock.low this level announces at <paramref name="currentQuantity"/> available.</summary>
    public StockLow LowAt(decimal currentQuantity) => new()
    {
        ProductId = ProductId,
        ProductName = ProductName,
        Sku = Sku,
        WarehouseId = WarehouseId,
        WarehouseName = WarehouseName,
        CurrentQuantity = currentQuantity,
        MinimumThreshold = MinimumThreshold,
        ReorderLevel = ReorderLevel,
    };

    /// <summary>The stock.low fired at <paramref name="availableAt"/>, if one was.</summary>
    public StockLow? LowOf(decimal? availableAt) => availableAt is { } at ? LowAt(at) : null;

    /// <summary>Re-arms at or above the reorder level; fires (returns the available quantity) on a fall below it while armed.</summary>
    private (StockLevel Next, decimal? LowAt) Settle(StockLevel next, string key)
    {
        if (next.Available >= next.ReorderLevel) return (next with { LowArmed = true, LowFiredBy = null }, null);
        if (next.LowArmed && next.Available < Available) return (next with { LowArmed = false, LowFiredBy = key }, next.Available);
        return (next, null);
    }

    /// <summary>Arms again when the stock.low came from the operation being undone, or when stock is back at the reorder level.</summary>
    private static StockLevel Rearm(StockLevel next, string undone) =>
        next.LowFiredBy == undone || next.Available >= next.ReorderLevel ? next with { LowArmed = true, LowFiredBy = null } : next;

    private static string ReserveKey(string orderId) => "reserve/" + orderId;
}

/// <summary>What one order holds of a level (a row of the level), and the available quantity at which holding it fired stock.low, if it did.</summary>
public sealed record StockReservation
{
    public required string OrderId { get; init; }
    public required decimal Quantity { get; init; }
    public decimal? StockLowAt { get; init; }
}

/// <summary>The stock a dispatch sets aside until it is applied (a row of the level): its quantity, and the order's reservation it took over.</summary>
public sealed record DispatchHold
{
    public required string DeliveryNoteId { get; init; }
    public required string OrderId { get; init; }
    /// <summary>The event holding it: a re-sent copy of the dispatch waits for it rather than hold twice.</summary>
    public required string EventId { get; init; }
    public required decimal Quantity { get; init; }
    public StockReservation? Reservation { get; init; }
    public decimal? StockLowAt { get; init; }
}

/// <summary>The event that applies an operation, and when the operation happened (the dispatch, the receipt).</summary>
public sealed record StockCause(string EventId, DateTimeOffset At);

/// <summary>An operation applied to a level, by which event and when, and the available quantity at which it fired stock.low, if it did.</summary>
public sealed record StockOperation
{
    public required string Key { get; init; }
    public required string EventId { get; init; }
    public required DateTimeOffset At { get; init; }
    public decimal? StockLowAt { get; init; }
}

/// <param name="Reserved">The order holds the quantity (now or from before).</param>
/// <param name="Available">Free stock after the decision.</param>
/// <param name="Low">The stock.low the reservation fired, if it did.</param>
public sealed record StockReservationResult(bool Reserved, decimal Available, StockLow? Low);

/// <summary>How a dispatch's hold on a level went; for <see cref="StockHoldStatus.TooMuch"/> with what the order held and what was free.</summary>
public sealed record StockHoldResult(StockHoldStatus Status, decimal OrderHeld = 0m, decimal Available = 0m)
{
    public static readonly StockHoldResult Held = new(StockHoldStatus.Held);
    public static readonly StockHoldResult HeldByOther = new(StockHoldStatus.HeldByOther);
    public static readonly StockHoldResult AppliedBefore = new(StockHoldStatus.AppliedBefore);

    public static StockHoldResult TooMuch(decimal held, decimal available) => new(StockHoldStatus.TooMuch, held, available);
}

public enum StockHoldStatus
{
    /// <summary>Set aside by this event (now or on an earlier run).</summary>
    Held,
    /// <summary>Another event (a re-sent copy of the dispatch) holds it.</summary>
    HeldByOther,
    /// <summary>The dispatch is applied here already.</summary>
    AppliedBefore,
    /// <summary>More than the order's reservation plus free stock.</summary>
    TooMuch,
}
