using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Procurement;

/// <summary>
/// A purchase order raised for low stock, keyed by its id (derived from the stock.low that raised it). Receipts
/// upsert the same row with what arrived, so the table always shows the order's latest state.
/// </summary>
[SqlTable("PurchaseOrders")]
public sealed record PurchaseOrder
{
    public const string OpenStatus = "OPEN";
    public const string PartiallyReceivedStatus = "PARTIALLY_RECEIVED";
    public const string ReceivedStatus = "RECEIVED";

    public required string PurchaseOrderId { get; init; }
    public required string TenantId { get; init; }
    public required string PurchaseOrderNumber { get; init; }
    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required string WarehouseName { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal ReceivedQuantity { get; init; }
    /// <summary>The available stock when stock.low fired.</summary>
    public required decimal CurrentQuantity { get; init; }
    public required decimal ReorderLevel { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ReceivedAt { get; init; }

    public static PurchaseOrder Of(string tenant, PurchaseOrderEntry order) => new()
    {
        PurchaseOrderId = order.PurchaseOrderId,
        TenantId = tenant,
        PurchaseOrderNumber = order.PurchaseOrderNumber,
        ProductId = order.ProductId,
        ProductName = order.ProductName,
        Sku = order.Sku,
        WarehouseId = order.WarehouseId,
        WarehouseName = order.WarehouseName,
        Quantity = order.Quantity,
        ReceivedQuantity = order.ReceivedQuantity,
        CurrentQuantity = order.CurrentQuantity,
        ReorderLevel = order.ReorderLevel,
        Status = order.Status switch
        {
            PurchaseOrderStatus.Open => OpenStatus,
            PurchaseOrderStatus.PartiallyReceived => PartiallyReceivedStatus,
            _ => ReceivedStatus,
        },
        CreatedAt = order.CreatedAt,
        ReceivedAt = order.ReceivedAt,
    };
}
