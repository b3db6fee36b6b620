using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Inventory;

/// <summary>
/// A change of stock on hand: a receipt (positive) or a dispatch (negative). Reservations move no goods and
/// are not movements. The key derives from the receipt or delivery note and the level, so a replay upserts.
/// </summary>
[SqlTable("StockMovements")]
public sealed record StockMovement
{
    public const string ReceiptType = "RECEIPT";
    public const string DispatchType = "DISPATCH";

    public required string MovementId { get; init; }
    public required string TenantId { get; init; }
    public required string ProductId { get; init; }
    public required string WarehouseId { get; init; }
    public required string MovementType { get; init; }
    /// <summary>Signed: goods in are positive, goods out negative.</summary>
    public required decimal Quantity { get; init; }
    public string? OrderId { get; init; }
    public string? DeliveryNoteId { get; init; }
    public string? PurchaseOrderId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
