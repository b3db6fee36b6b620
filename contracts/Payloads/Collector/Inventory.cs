namespace EventProcessors.Contracts.Payloads.Collector;

/// <summary><c>stock.low</c> (seed 003 schema 8): a product fell below its minimum in one warehouse.</summary>
public sealed record StockLow
{
    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required string WarehouseName { get; init; }
    public required decimal CurrentQuantity { get; init; }
    public required decimal MinimumThreshold { get; init; }
    public required decimal ReorderLevel { get; init; }
}

/// <summary>
/// <c>stock.reserved</c> (new): every line of an order is reserved. Carries the warehouse actually
/// chosen per line, because <c>order.created</c> may leave it open and DeductStock must release the
/// same reservation on <c>delivery.dispatched</c>.
/// </summary>
public sealed record StockReserved
{
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    public required IReadOnlyList<StockReservationLine> Lines { get; init; }
}

public sealed record StockReservationLine
{
    public required string ProductId { get; init; }
    public required string WarehouseId { get; init; }
    public required decimal Quantity { get; init; }
}

/// <summary>
/// <c>stock.reservation-failed</c> (new): the order could not be reserved because at least one line
/// lacks stock. Reservation is all-or-nothing, so nothing is held for the order.
/// </summary>
public sealed record StockReservationFailed
{
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    public required string Reason { get; init; }
    /// <summary>The lines that could not be reserved.</summary>
    public required IReadOnlyList<StockShortage> Shortages { get; init; }
}

public sealed record StockShortage
{
    public required string ProductId { get; init; }
    public required string WarehouseId { get; init; }
    public required decimal RequestedQuantity { get; init; }
    public required decimal AvailableQuantity { get; init; }
}

/// <summary><c>stock.received</c> (new): goods arrived in a warehouse and go on hand.</summary>
public sealed record StockReceived
{
    public required string ProductId { get; init; }
    public string? Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>Set when the receipt closes a purchase order, so procurement can mark it received.</summary>
    public string? PurchaseOrderId { get; init; }
    public DateTimeOffset? ReceivedAt { get; init; }
}
