using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Material;

/// <summary>One line of the material reserved for a work order.</summary>
[SqlTable("MaterialReservations")]
public sealed record ReservationLine
{
    /// <summary>Derived from the tenant and work order: one reservation per work order.</summary>
    public required string ReservationId { get; init; }
    public required int LineNumber { get; init; }
    public required string TenantId { get; init; }
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    public string? LotNumber { get; init; }
    public required DateTimeOffset ReservedAt { get; init; }
}

/// <summary>A change of a part's quantity on hand; finished goods booked from a completed work order.</summary>
[SqlTable("InventoryAdjustments")]
public sealed record InventoryAdjustment
{
    /// <summary>Derived from the tenant and the work order whose output was booked.</summary>
    public required string AdjustmentId { get; init; }
    public required string TenantId { get; init; }
    public required string PartId { get; init; }
    public string? PartNumber { get; init; }
    public required string Reason { get; init; }
    public string? WorkOrderId { get; init; }
    public string? LotNumber { get; init; }
    public required decimal QuantityChange { get; init; }
    public required decimal QuantityOnHand { get; init; }
    public required DateTimeOffset AdjustedAt { get; init; }
}
