using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Procurement;

/// <summary>
/// A purchase order raised for low stock, keyed by its id (derived from the stock.low that raised it): what was ordered,
/// written once by CreatePurchaseOrder and never rewritten. What has arrived against it is its
/// <see cref="PurchaseOrderReceipt"/> rows (schema.sql's view dbo.PurchaseOrderProgress adds them up), because SQL
/// outputs upsert last-writer-wins and a "latest state" row could be overwritten by an older one.
/// </summary>
[SqlTable("PurchaseOrders")]
public sealed record PurchaseOrder
{
    public required string PurchaseOrderId { get; init; }
    public required string TenantId { get; init; }
    public required string PurchaseOrderNumber { get; init; }
    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required string WarehouseName { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>The available stock when stock.low fired.</summary>
    public required decimal CurrentQuantity { get; init; }
    public required decimal ReorderLevel { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

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
        CurrentQuantity = order.CurrentQuantity,
        ReorderLevel = order.ReorderLevel,
        CreatedAt = order.CreatedAt,
    };
}

/// <summary>
/// Goods received against a <see cref="PurchaseOrder"/>, one row per receipt (keyed by the receipt's id, so a re-sent
/// stock.received upserts the same row), never changed once written.
/// </summary>
[SqlTable("PurchaseOrderReceipts")]
public sealed record PurchaseOrderReceipt
{
    public required string ReceiptId { get; init; }
    public required string TenantId { get; init; }
    public required string PurchaseOrderId { get; init; }
    public required string PurchaseOrderNumber { get; init; }
    public required string ProductId { get; init; }
    public required string WarehouseId { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>This receipt brought what arrived up to what was ordered: the order is received.</summary>
    public required bool CompletesOrder { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}
