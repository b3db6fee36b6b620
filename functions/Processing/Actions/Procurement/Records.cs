using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Procurement;

/// <summary>A purchase order for one product in one warehouse; id derived from the stock.low that raised it.</summary>
[SqlTable("PurchaseOrders")]
public sealed record PurchaseOrder
{
    public required string PurchaseOrderId { get; init; }
    public required string TenantId { get; init; }
    public required string PurchaseOrderNumber { get; init; }
    public required string ProductId { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>OPEN until a stock.received names it, then RECEIVED.</summary>
    public required string Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ReceivedAt { get; init; }
}
