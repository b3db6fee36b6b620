using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Procurement.State;

/// <summary>The latest purchase order of one product in one warehouse, and the stock.low event that raised it.</summary>
public sealed record PurchaseOrderState(PurchaseOrder Order, string EventId)
{
    public bool IsOpen => Order.Status == PurchaseOrderStatus.Open;
}

public static class PurchaseOrderStatus
{
    public const string Open = "OPEN";
    public const string Received = "RECEIVED";
}

/// <summary>
/// Purchase orders per (tenant, warehouse|product) in Table Storage (table <c>PurchaseOrders</c>): at most one is open
/// at a time, so a later stock.low for the same stock does not order twice.
/// </summary>
public sealed class OpenPurchaseOrders(ITableServiceClient tables)
{
    public const string TableName = "PurchaseOrders";

    private readonly StateStore<PurchaseOrderState> _store = new(tables, TableName);

    private static string Id(string warehouseId, string productId) => $"{warehouseId}|{productId}";

    public async Task<PurchaseOrderState?> GetAsync(string tenant, string warehouseId, string productId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(tenant, Id(warehouseId, productId), cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Opens <paramref name="candidate"/> unless a purchase order is open; returns the one that stands.</summary>
    public Task<PurchaseOrderState> OpenAsync(string tenant, PurchaseOrderState candidate, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, Id(candidate.Order.WarehouseId, candidate.Order.ProductId),
            current => current is { IsOpen: true } ? (null, current) : (candidate, candidate), cancellationToken);

    /// <summary>Marks the purchase order received if it is the one named; returns it as received, or null if another one stands.</summary>
    public Task<PurchaseOrder?> ReceiveAsync(string tenant, string warehouseId, string productId, string purchaseOrderId, DateTimeOffset receivedAt,
        CancellationToken cancellationToken) =>
        _store.UpdateAsync<PurchaseOrder?>(tenant, Id(warehouseId, productId), current =>
        {
            if (current?.Order.PurchaseOrderId != purchaseOrderId) return (null, null);
            if (!current.IsOpen) return (null, current.Order);
            var received = current with { Order = current.Order with { Status = PurchaseOrderStatus.Received, ReceivedAt = receivedAt } };
            return (received, received.Order);
        }, cancellationToken);
}
