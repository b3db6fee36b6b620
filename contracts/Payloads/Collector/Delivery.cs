namespace EventProcessors.Contracts.Payloads.Collector;

/// <summary><c>delivery.dispatched</c> (seed 003 schema 4): shipped with a carrier; Inventory deducts the stock.</summary>
public sealed record DeliveryDispatched
{
    public required string DeliveryNoteId { get; init; }
    public required string DeliveryNumber { get; init; }
    public required string OrderId { get; init; }
    public required IReadOnlyList<DispatchedItem> Items { get; init; }
    public string? TrackingNumber { get; init; }
    public string? CarrierId { get; init; }
}

public sealed record DispatchedItem
{
    public required string ProductId { get; init; }
    public required decimal Quantity { get; init; }
    public required string WarehouseId { get; init; }
}

/// <summary><c>delivery.confirmed</c> (seed 003 schema 5): the delivery arrived (DELIVERED); Invoices bills it.</summary>
public sealed record DeliveryConfirmed
{
    public required string DeliveryNoteId { get; init; }
    public required string DeliveryNumber { get; init; }
    public required string OrderId { get; init; }
    public required string CustomerId { get; init; }
    public string? ProofOfDeliveryUrl { get; init; }
}

/// <summary>
/// <c>delivery.note.created</c> (new): CreateDeliveryNote made the note for a confirmed order. Carries
/// the confirmed lines so the delivery service can pick and dispatch without asking Orders.
/// </summary>
public sealed record DeliveryNoteCreated
{
    public required string DeliveryNoteId { get; init; }
    public required string DeliveryNumber { get; init; }
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    public required string CustomerId { get; init; }
    public required string ShippingAddressId { get; init; }
    public required IReadOnlyList<ConfirmedOrderLineItem> LineItems { get; init; }
}
