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
/// Stock levels in Table Storage (table <c>StockLevels</c>), one document per (tenant, product, warehouse),
/// ETag-guarded. A product a warehouse has no level for is unknown there.
/// </summary>
public sealed class StockLevels(ITableServiceClient tables)
{
    public const string TableName = "StockLevels";

    private readonly StateStore<StockLevel> _store = new(tables, TableName);

    /// <summary>
    /// Defines the product in the warehouse, or updates its names, levels and primary flag. Quantities change
    /// only through events, so <see cref="StockItem.OnHand"/> is the opening stock of a new item and is ignored
    /// for an item already defined.
    /// </summary>
    public Task<StockLevel> DefineAsync(string tenant, StockItem item, CancellationToken cancellationToken = default)
    {
        item.Validate();
        return _store.UpdateAsync(tenant, Id(item.ProductId, item.WarehouseId), current =>
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
            return (defined, defined);
        }, cancellationToken);
    }

    public async Task<StockLevel?> GetAsync(string tenant, string productId, string warehouseId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(tenant, Id(productId, warehouseId), cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Every warehouse's level of the product, in warehouse id order.</summary>
    public async Task<IReadOnlyList<StockLevel>> ListProductAsync(string tenant, string productId, CancellationToken cancellationToken = default)
    {
        var levels = new List<StockLevel>();
        await foreach (var level in _store.ListAsync(tenant, productId + "/", cancellationToken).ConfigureAwait(false))
            if (level.ProductId == productId) levels.Add(level);
        return levels;
    }

    /// <inheritdoc cref="StateStore{T}.UpdateAsync"/>
    /// <remarks>The level must exist: callers check that first, and levels are never deleted.</remarks>
    public Task<TResult> UpdateAsync<TResult>(string tenant, string productId, string warehouseId,
        Func<StockLevel, (StockLevel? Next, TResult Result)> decide, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, Id(productId, warehouseId), current => decide(current
            ?? throw new InvalidOperationException($"Stock level {productId} in {warehouseId} of tenant {tenant} is gone.")), cancellationToken);

    private static string Id(string productId, string warehouseId) => productId + "/" + warehouseId;
}
