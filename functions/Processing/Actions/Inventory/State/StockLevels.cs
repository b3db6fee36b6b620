using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory.State;

/// <summary>
/// A product stocked in a warehouse, as set up by whoever runs the inventory (no event defines products,
/// reorder levels or opening stock): tests and the demo use <see cref="StockLevels.DefineAsync"/>.
/// </summary>
public sealed record StockItem
{
    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseId { get; init; }
    public required string WarehouseName { get; init; }
    /// <summary>Opening stock; only used when the item is first defined.</summary>
    public required decimal OnHand { get; init; }
    public required decimal ReorderLevel { get; init; }
    public decimal MinimumThreshold { get; init; }
    /// <summary>Whether order lines naming no warehouse reserve this product here.</summary>
    public bool Primary { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the field when the item cannot be stocked as it is.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ProductId, "productId");
        ArgumentException.ThrowIfNullOrWhiteSpace(WarehouseId, "warehouseId");
        ArgumentOutOfRangeException.ThrowIfNegative(OnHand, "onHand");
        ArgumentOutOfRangeException.ThrowIfNegative(MinimumThreshold, "minimumThreshold");
        ArgumentOutOfRangeException.ThrowIfLessThan(ReorderLevel, MinimumThreshold, "reorderLevel");
    }
}

/// <summary>
/// Stock levels in Table Storage (table <c>StockLevels</c>): one entity per (tenant, product, warehouse), its document
/// the level's totals and its rows the reservations, dispatch holds and operations applied (see <see cref="StockLevel"/>);
/// every change is written with the totals under the document's ETag. A product a warehouse has no level for is unknown there.
/// </summary>
public sealed class StockLevels(ITableServiceClient tables)
{
    public const string TableName = "StockLevels";

    private readonly EntityStore<StockLevel> _store = new(tables, TableName);

    /// <summary>
    /// Defines the product in the warehouse, or updates its names, levels and primary flag. Quantities change
    /// only through events, so <see cref="StockItem.OnHand"/> is the opening stock of a new item and is ignored
    /// for an item already defined.
    /// </summary>
    public Task<StockLevel> DefineAsync(string tenant, StockItem item, CancellationToken cancellationToken = default)
    {
        item.Validate();
        return _store.UpdateAsync(tenant, Id(item.ProductId, item.WarehouseId), [], (current, _) =>
        {
            var defined = (current ?? new StockLevel
            {
                ProductId = item.ProductId,
                ProductName = item.ProductName,
                Sku = item.Sku,
                WarehouseId = item.WarehouseId,
                WarehouseName = item.WarehouseName,
                OnHand = item.OnHand,
                ReorderLevel = item.ReorderLevel,
            }) with
            {
                ProductName = item.ProductName,
                Sku = item.Sku,
                WarehouseName = item.WarehouseName,
                ReorderLevel = item.ReorderLevel,
                MinimumThreshold = item.MinimumThreshold,
                Primary = item.Primary,
            };
            // A higher reorder level does not fire stock.low by itself; the next fall does, if the level is armed.
            if (defined.Available >= defined.ReorderLevel) defined = defined with { LowArmed = true, LowFiredBy = null };
            return (new EntityChange<StockLevel>(defined), defined);
        }, cancellationToken);
    }

    public Task<StockLevel?> GetAsync(string tenant, string productId, string warehouseId, CancellationToken cancellationToken = default) =>
        _store.GetAsync(tenant, Id(productId, warehouseId), cancellationToken);

    /// <summary>Every warehouse's level of the product, in warehouse id order.</summary>
    public async Task<IReadOnlyList<StockLevel>> ListProductAsync(string tenant, string productId, CancellationToken cancellationToken = default)
    {
        var levels = new List<StockLevel>();
        // Id joins escaped parts with '|', so this prefix matches this product's levels only.
        await foreach (var level in _store.ListAsync(tenant, StorageKeys.Escape(productId) + "|", cancellationToken).ConfigureAwait(false))
            if (level.ProductId == productId) levels.Add(level);
        return levels;
    }

    /// <summary>What each order holds of the level, in order id order.</summary>
    public async Task<IReadOnlyList<StockReservation>> ReservationsAsync(string tenant, string productId, string warehouseId, CancellationToken cancellationToken = default)
    {
        var reservations = new List<StockReservation>();
        await foreach (var reservation in _store.ListRowsAsync<StockReservation>(tenant, Id(productId, warehouseId), StockLevel.ReservationRow(""), cancellationToken).ConfigureAwait(false))
            reservations.Add(reservation);
        return reservations;
    }

    /// <summary>What <paramref name="orderId"/> holds of the level (0 when nothing).</summary>
    public async Task<decimal> HeldForAsync(string tenant, string productId, string warehouseId, string orderId, CancellationToken cancellationToken = default) =>
        (await _store.GetRowAsync<StockReservation>(tenant, Id(productId, warehouseId), StockLevel.ReservationRow(orderId), cancellationToken).ConfigureAwait(false))?.Quantity ?? 0m;

    /// <inheritdoc cref="StockLevel.Reserve"/>
    public Task<StockReservationResult> ReserveAsync(string tenant, string productId, string warehouseId, string orderId, decimal quantity, CancellationToken cancellationToken) =>
        UpdateAsync(tenant, productId, warehouseId, [StockLevel.ReservationRow(orderId)],
            (level, rows) => level.Reserve(rows.Get<StockReservation>(StockLevel.ReservationRow(orderId)), orderId, quantity), cancellationToken);

    /// <inheritdoc cref="StockLevel.Release"/>
    public Task ReleaseAsync(string tenant, string productId, string warehouseId, string orderId, CancellationToken cancellationToken) =>
        UpdateAsync(tenant, productId, warehouseId, [StockLevel.ReservationRow(orderId)],
            (level, rows) => (level.Release(rows.Get<StockReservation>(StockLevel.ReservationRow(orderId))), true), cancellationToken);

    /// <inheritdoc cref="StockLevel.Hold"/>
    public Task<StockHoldResult> HoldAsync(string tenant, string productId, string warehouseId, string deliveryNoteId, string orderId, decimal quantity,
        StockCause cause, CancellationToken cancellationToken)
    {
        var (reservation, hold, operation) = DispatchRows(orderId, deliveryNoteId);
        return UpdateAsync(tenant, productId, warehouseId, [reservation, hold, operation], (level, rows) => level.Hold(deliveryNoteId, orderId, quantity, cause,
            rows.Get<StockReservation>(reservation), rows.Get<DispatchHold>(hold), rows.Get<StockOperation>(operation)), cancellationToken);
    }

    /// <summary>Gives up the hold of <paramref name="deliveryNoteId"/> if <paramref name="eventId"/> placed it (see <see cref="StockLevel.Unhold"/>).</summary>
    public Task UnholdAsync(string tenant, string productId, string warehouseId, string deliveryNoteId, string orderId, string eventId, CancellationToken cancellationToken)
    {
        var (reservation, hold, _) = DispatchRows(orderId, deliveryNoteId);
        return UpdateAsync(tenant, productId, warehouseId, [reservation, hold], (level, rows) =>
            (level.Unhold(rows.Get<DispatchHold>(hold) is { } held && held.EventId == eventId ? held : null, rows.Get<StockReservation>(reservation)), true), cancellationToken);
    }

    /// <inheritdoc cref="StockLevel.ApplyDispatch"/>
    /// <returns>The dispatch's operation here and the stock.low it fired, if it did.</returns>
    public Task<(StockOperation Operation, StockLow? Low)> ApplyDispatchAsync(string tenant, string productId, string warehouseId, string deliveryNoteId, string orderId, string committedBy,
        DateTimeOffset at, CancellationToken cancellationToken)
    {
        var (reservation, hold, operation) = DispatchRows(orderId, deliveryNoteId);
        return UpdateAsync(tenant, productId, warehouseId, [reservation, hold, operation], (level, rows) =>
        {
            var (next, applied) = level.ApplyDispatch(deliveryNoteId, committedBy, at,
                rows.Get<DispatchHold>(hold), rows.Get<StockReservation>(reservation), rows.Get<StockOperation>(operation));
            return (next, (applied, level.LowOf(applied.StockLowAt)));
        }, cancellationToken);
    }

    /// <inheritdoc cref="StockLevel.Receive"/>
    public Task<StockOperation> ReceiveAsync(string tenant, string productId, string warehouseId, string receiptId, decimal quantity, bool completesPurchaseOrder,
        StockCause cause, CancellationToken cancellationToken)
    {
        var operation = StockLevel.OperationRow(StockLevel.ReceiptKey(receiptId));
        return UpdateAsync(tenant, productId, warehouseId, [operation],
            (level, rows) => level.Receive(receiptId, quantity, completesPurchaseOrder, cause, rows.Get<StockOperation>(operation)), cancellationToken);
    }

    /// <remarks>The level must exist: callers check that first, and levels are never deleted.</remarks>
    private Task<TResult> UpdateAsync<TResult>(string tenant, string productId, string warehouseId, IReadOnlyCollection<string> rows,
        Func<StockLevel, EntityRows, (EntityChange<StockLevel>? Next, TResult Result)> decide, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, Id(productId, warehouseId), rows, (current, found) => decide(current
            ?? throw new InvalidOperationException($"Stock level {productId} in {warehouseId} of tenant {tenant} is gone."), found), cancellationToken);

    private static (string Reservation, string Hold, string Operation) DispatchRows(string orderId, string deliveryNoteId) =>
        (StockLevel.ReservationRow(orderId), StockLevel.HoldRow(deliveryNoteId), StockLevel.OperationRow(StockLevel.DispatchKey(deliveryNoteId)));

    private static string Id(string productId, string warehouseId) => StorageKeys.Join(productId, warehouseId);
}
