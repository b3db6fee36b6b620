using System.Text.Json.Serialization;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Procurement.State;

[JsonConverter(typeof(JsonStringEnumConverter<PurchaseOrderStatus>))]
public enum PurchaseOrderStatus
{
    Open,
    PartiallyReceived,
    Received,
}

/// <summary>
/// The purchase orders raised for one product in one warehouse, newest last. At most one is open (not fully
/// received) at a time: that is what stops a second stock.low from ordering the same goods twice.
/// </summary>
public sealed record PurchaseOrderBook
{
    public required string ProductId { get; init; }
    public required string WarehouseId { get; init; }
    public required IReadOnlyList<PurchaseOrderEntry> Orders { get; init; }
}

public sealed record PurchaseOrderEntry
{
    public required string PurchaseOrderId { get; init; }
    public required string PurchaseOrderNumber { get; init; }
    /// <summary>The stock.low that raised it; only that event announces it.</summary>
    public required string EventId { get; init; }
    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required string WarehouseName { get; init; }
    public required decimal Quantity { get; init; }
    /// <summary>The available stock stock.low reported.</summary>
    public required decimal CurrentQuantity { get; init; }
    public required decimal ReorderLevel { get; init; }
    public required decimal ReceivedQuantity { get; init; }
    public required PurchaseOrderStatus Status { get; init; }
    /// <summary>The receipts counted against it, each once.</summary>
    public IReadOnlyList<string> Receipts { get; init; } = [];
    /// <summary>The receipt that made it fully received.</summary>
    public string? CompletedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it became fully received.</summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    [JsonIgnore]
    public bool IsOpen => Status != PurchaseOrderStatus.Received;
}

/// <summary>
/// Purchase order books in Table Storage (table <c>PurchaseOrderBooks</c>), one document per (tenant, product,
/// warehouse), ETag-guarded: raising an order and checking that none is open are one atomic step.
/// </summary>
public sealed class PurchaseOrderBooks(ITableServiceClient tables)
{
    public const string TableName = "PurchaseOrderBooks";

    /// <summary>Orders a book keeps: the open one and the most recent received ones, for receipts that come late.</summary>
    public const int OrdersKept = 100;

    private readonly StateStore<PurchaseOrderBook> _store = new(tables, TableName);

    public async Task<PurchaseOrderBook?> GetAsync(string tenant, string productId, string warehouseId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(tenant, Id(productId, warehouseId), cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>
    /// Adds <paramref name="candidate"/> unless an order is open for its product and warehouse. Returns whether the
    /// candidate's event raised the order (now or in an earlier run) and the order that stands.
    /// </summary>
    public Task<(bool Raised, PurchaseOrderEntry Order)> RaiseAsync(string tenant, PurchaseOrderEntry candidate, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, Id(candidate.ProductId, candidate.WarehouseId), book =>
        {
            if (book?.Orders.FirstOrDefault(o => o.EventId == candidate.EventId) is { } raised) return (null, (true, raised));
            if (book?.Orders.FirstOrDefault(o => o.IsOpen) is { } open) return (null, (false, open));
            var next = book is null
                ? new PurchaseOrderBook { ProductId = candidate.ProductId, WarehouseId = candidate.WarehouseId, Orders = [candidate] }
                : book with { Orders = [.. book.Orders.TakeLast(OrdersKept - 1), candidate] };
            return (next, (true, candidate));
        }, cancellationToken);

    /// <summary>
    /// Counts a receipt against the order, once per receipt id; the order is received when what arrived covers what
    /// was ordered. Null when no such order was raised for this product and warehouse.
    /// </summary>
    public Task<PurchaseOrderEntry?> ReceiveAsync(string tenant, string productId, string warehouseId, string purchaseOrderId,
        string receiptId, decimal quantity, DateTimeOffset receivedAt, CancellationToken cancellationToken) =>
        _store.UpdateAsync<PurchaseOrderEntry?>(tenant, Id(productId, warehouseId), book =>
        {
            if (book?.Orders.FirstOrDefault(o => o.PurchaseOrderId == purchaseOrderId) is not { } order) return (null, null);
            if (order.Receipts.Contains(receiptId)) return (null, order);
            var received = order.ReceivedQuantity + quantity;
            var completes = order.IsOpen && received >= order.Quantity;
            var updated = order with
            {
                ReceivedQuantity = received,
                Status = received >= order.Quantity ? PurchaseOrderStatus.Received : PurchaseOrderStatus.PartiallyReceived,
                Receipts = [.. order.Receipts, receiptId],
                CompletedBy = completes ? receiptId : order.CompletedBy,
                ReceivedAt = completes ? receivedAt : order.ReceivedAt,
            };
            return (book with { Orders = book.Orders.Select(o => o.PurchaseOrderId == purchaseOrderId ? updated : o).ToArray() }, updated);
        }, cancellationToken);

    private static string Id(string productId, string warehouseId) => productId + "/" + warehouseId;
}
