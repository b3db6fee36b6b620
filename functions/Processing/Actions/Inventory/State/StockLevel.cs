using System.Text.Json.Serialization;
using EventProcessors.Contracts.Payloads.Collector;

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
/// </remarks>
public sealed record StockLevel
{
    /// <summary>
    /// How many operations a level remembers: far more than happen to one level while a crashed worker's lease runs
    /// out, so every re-run finds its operation. A re-sent copy of a dispatch or receipt arriving after that many
    /// later operations on the same level would be applied again.
    /// </summary>
    public const int OperationsKept = 500;

    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required string WarehouseName { get; init; }
    /// <summary>Order lines that name no warehouse reserve the product here.</summary>
    public bool Primary { get; init; }
    public required decimal OnHand { get; init; }
    /// <summary>stock.low fires when available stock falls below it; purchase orders restore it.</summary>
    public required decimal ReorderLevel { get; init; }
    /// <summary>The safety stock, at most the reorder level; carried on stock.low for procurement to judge urgency.</summary>
    public decimal MinimumThreshold { get; init; }
    /// <summary>What each order holds, one entry per order.</summary>
    public IReadOnlyList<StockReservation> Reservations { get; init; } = [];
    public bool LowArmed { get; init; } = true;
    /// <summary>The operation whose fall fired the current stock.low (null when armed).</summary>
    public string? LowFiredBy { get; init; }
    /// <summary>The most recent operations applied, oldest first, at most <see cref="OperationsKept"/>.</summary>
    public IReadOnlyList<StockOperation> Operations { get; init; } = [];

    [JsonIgnore]
    public decimal Reserved => Reservations.Sum(r => r.Quantity);

    [JsonIgnore]
    public decimal Available => OnHand - Reserved;

    public decimal HeldFor(string orderId) => Reservations.FirstOrDefault(r => r.OrderId == orderId)?.Quantity ?? 0m;

    /// <summary>
    /// Holds <paramref name="quantity"/> for the order if that much is free; an order already holding stock here keeps
    /// what it holds, and reports the stock.low its reservation fired whichever event made it (the order's recorded
    /// decision says which event announces it).
    /// </summary>
    public (StockLevel? Next, StockReservationResult Result) Reserve(string orderId, decimal quantity, StockCause cause)
    {
        var key = ReserveKey(orderId);
        if (Reservations.Any(r => r.OrderId == orderId) || Find(key) is not null)
            return (null, new StockReservationResult(true, Available, LowOf(Find(key))));
        if (quantity > Available) return (null, new StockReservationResult(false, Available, null));
        var (next, operation) = Record(this with { Reservations = [.. Reservations, new StockReservation { OrderId = orderId, Quantity = quantity }] }, key, cause);
        return (next, new StockReservationResult(true, next.Available, LowOf(operation)));
    }

    /// <summary>
    /// Takes back what an order holds when its reservation as a whole did not stand (all-or-nothing). A stock.low
    /// that order's reservation fired was never announced, so the level is armed again.
    /// </summary>
    public StockLevel? Release(string orderId)
    {
        if (!Reservations.Any(r => r.OrderId == orderId)) return null;
        var next = this with { Reservations = Reservations.Where(r => r.OrderId != orderId).ToArray() };
        return LowFiredBy == ReserveKey(orderId) || next.Available >= ReorderLevel
            ? next with { LowArmed = true, LowFiredBy = null }
            : next;
    }

    /// <summary>
    /// Ships <paramref name="quantity"/>: on hand goes down, and the order's reservation here is settled (one
    /// delivery per order, so whatever it held beyond the quantity shipped is free again). Shipping more than
    /// it held takes the rest from free stock; beyond that it is refused (null).
    /// </summary>
    /// <remarks>A dispatch applied before returns its recorded operation, which names the event that applied it.</remarks>
    public (StockLevel? Next, StockOperation? Applied) Dispatch(string orderId, string deliveryNoteId, decimal quantity, StockCause cause)
    {
        var key = DispatchKey(deliveryNoteId);
        if (Find(key) is { } done) return (null, done);
        if (quantity > HeldFor(orderId) + Available) return (null, null);
        return Record(this with
        {
            OnHand = OnHand - quantity,
            Reservations = Reservations.Where(r => r.OrderId != orderId).ToArray(),
        }, key, cause);
    }

    /// <summary>
    /// Puts a receipt on hand, once per receipt id; returns the receipt's operation (applied now or before). A receipt
    /// that completes a purchase order arms stock.low again even below the reorder level.
    /// </summary>
    public (StockLevel? Next, StockOperation Applied) Receive(string receiptId, decimal quantity, bool completesPurchaseOrder, StockCause cause)
    {
        var key = ReceiptKey(receiptId);
        if (Find(key) is { } done) return (null, done);
        var next = this with { OnHand = OnHand + quantity };
        if (completesPurchaseOrder) next = next with { LowArmed = true, LowFiredBy = null };
        return Record(next, key, cause);
    }

    /// <summary>Whether a dispatch of this delivery note is applied here already.</summary>
    public bool HasDispatched(string deliveryNoteId) => Find(DispatchKey(deliveryNoteId)) is not null;

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

    /// <summary>The stock.low <paramref name="operation"/> fired, if it did.</summary>
    public StockLow? LowOf(StockOperation? operation) => operation?.StockLowAt is { } at ? LowAt(at) : null;

    /// <summary>Re-arms at or above the reorder level; fires on a fall below it while armed; remembers the operation.</summary>
    private (StockLevel Next, StockOperation Applied) Record(StockLevel next, string key, StockCause cause)
    {
        decimal? lowAt = null;
        if (next.Available >= next.ReorderLevel) next = next with { LowArmed = true, LowFiredBy = null };
        else if (next.LowArmed && next.Available < Available)
        {
            next = next with { LowArmed = false, LowFiredBy = key };
            lowAt = next.Available;
        }
        var operation = new StockOperation { Key = key, EventId = cause.EventId, At = cause.At, StockLowAt = lowAt };
        return (next with { Operations = [.. Operations.TakeLast(OperationsKept - 1), operation] }, operation);
    }

    private StockOperation? Find(string key) => Operations.FirstOrDefault(o => o.Key == key);

    private static string ReserveKey(string orderId) => "reserve/" + orderId;

    private static string DispatchKey(string deliveryNoteId) => "dispatch/" + deliveryNoteId;

    private static string ReceiptKey(string receiptId) => "receive/" + receiptId;
}

public sealed record StockReservation
{
    public required string OrderId { get; init; }
    public required decimal Quantity { get; init; }
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

