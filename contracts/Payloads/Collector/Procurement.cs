namespace EventProcessors.Contracts.Payloads.Collector;

/// <summary>
/// <c>purchase-order.created</c> (new): CreatePurchaseOrder raised a purchase order that brings one
/// product in one warehouse back up to its reorder level.
/// </summary>
public sealed record PurchaseOrderCreated
{
    public required string PurchaseOrderId { get; init; }
    public required string PurchaseOrderNumber { get; init; }
    public required string ProductId { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>The stock level that triggered the order, kept for the buyer's context.</summary>
    public required decimal CurrentQuantity { get; init; }
    public required decimal ReorderLevel { get; init; }
}
