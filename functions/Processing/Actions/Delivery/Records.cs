using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Delivery;

/// <summary>The delivery note of a confirmed order; id and number derived from the order.</summary>
[SqlTable("DeliveryNotes")]
public sealed record DeliveryNote
{
    public required string DeliveryNoteId { get; init; }
    public required string TenantId { get; init; }
    public required string DeliveryNumber { get; init; }
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    public required string CustomerId { get; init; }
    public required string ShippingAddressId { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One line to deliver; key (DeliveryNoteId, LineNumber), in the confirmed order's line order.</summary>
[SqlTable("DeliveryNoteLines")]
public sealed record DeliveryNoteLine
{
    public required string DeliveryNoteId { get; init; }
    public required int LineNumber { get; init; }
    public required string TenantId { get; init; }
    public required string ProductId { get; init; }
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required string Unit { get; init; }
}
