using System.Text.Json.Serialization;
using EventProcessors.Contracts;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory.State;

/// <summary>
/// The stock of one product in one warehouse. Every change is keyed by what caused it (reservations by order id,
/// receipts and dispatches in <see cref="Applied"/>), so applying the same cause twice changes nothing.
/// </summary>
public sealed record StockLevel
{
    public required string WarehouseId { get; init; }
    public required string ProductId { get; init; }
    public required string ProductName { get; init; }
    public required string Sku { get; init; }
    public required string WarehouseName { get; init; }
    public required decimal OnHand { get; init; }
    public required decimal ReorderLevel { get; init; }
    public required decimal MinimumThreshold { get; init; }

    /// <summary>Quantity held per order id.</summary>
    public IReadOnlyDictionary<string, decimal> Reservations { get; init; } = new Dictionary<string, decimal>();

    /// <summary>Keys of the receipts and dispatches applied, newest last; only the last <see cref="AppliedKept"/> are kept.</summary>
    public IReadOnlyList<string> Applied { get; init; } = [];

    /// <summary>True while available stock is at/above the reorder level, so the next fall below it signals stock.low.</summary>
    public bool LowArmed { get; init; } = true;

    /// <summary>The change that last crossed below the reorder level, so a re-run of that change signals the same stock.low.</summary>
    public LowCrossing? LowCrossing { get; init; }

    [JsonIgnore]
    public decimal Available => OnHand - Reservations.Values.Sum();

    /// <summary>Enough to recognise a redelivery within any realistic retry window while keeping the document small.</summary>
    public const int AppliedKept = 200;

    public StockLevel WithApplied(string key) => this with { Applied = [.. Applied.Skip(Math.Max(0, Applied.Count - AppliedKept + 1)), key] };

    /// <summary>
    /// Arms or fires stock.low after a change by <paramref name="cause"/>: fires once when available stock falls below
    /// the reorder level, and re-arms only once it is back at or above it.
    /// </summary>
    public StockLevel Settle(string cause) =>
        LowArmed && Available < ReorderLevel ? this with { LowArmed = false, LowCrossing = new LowCrossing(cause, Available) }
        : !LowArmed && Available >= ReorderLevel ? this with { LowArmed = true, LowCrossing = null }
        : this;

    /// <summary>The stock.low event <paramref name="cause"/> signalled on this stock, if it was the one that crossed.</summary>
    public Contracts.Payloads.Collector.StockLow? LowSignalledBy(string cause) => LowCrossing?.Cause == cause
        ? new Contracts.Payloads.Collector.StockLow
        {
            ProductId = ProductId, ProductName = ProductName, Sku = Sku, WarehouseId = WarehouseId, WarehouseName = WarehouseName,
            CurrentQuantity = LowCrossing.Available, MinimumThreshold = MinimumThreshold, ReorderLevel = ReorderLevel,
        }
        : null;
}

public sealed record LowCrossing(string Cause, decimal Available);

/// <summary>Stock levels in Table Storage (table <c>StockLevels</c>), one document per (tenant, warehouse|product).</summary>
public sealed class StockLevels(ITableServiceClient tables)
{
    public const string TableName = "StockLevels";

    private readonly StateStore<StockLevel> _store = new(tables, TableName);

    public static string Id(string warehouseId, string productId) => $"{warehouseId}|{productId}";

    /// <summary>Sets up (or redefines, keeping reservations) the stock of a product in a warehouse; used by set-up, tests and the demo.</summary>
    public Task<StockLevel> DefineStockAsync(string tenant, string warehouseId, string productId, decimal onHand, decimal reorderLevel,
        decimal minimumThreshold, string productName, string sku, string warehouseName, CancellationToken cancellationToken = default) =>
        _store.UpdateAsync(tenant, Id(warehouseId, productId), current =>
        {
            var next = (current ?? new StockLevel
            {
                WarehouseId = warehouseId, ProductId = productId, ProductName = productName, Sku = sku, WarehouseName = warehouseName,
                OnHand = onHand, ReorderLevel = reorderLevel, MinimumThreshold = minimumThreshold,
            }) with
            {
                ProductName = productName, Sku = sku, WarehouseName = warehouseName,
                OnHand = onHand, ReorderLevel = reorderLevel, MinimumThreshold = minimumThreshold,
            };
            next = next with { LowArmed = next.Available >= reorderLevel, LowCrossing = null };
            return (next, next);
        }, cancellationToken);

    public async Task<StockLevel?> GetAsync(string tenant, string warehouseId, string productId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(tenant, Id(warehouseId, productId), cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Every stock level of the tenant (all warehouses, all products).</summary>
    public IAsyncEnumerable<StockLevel> ListAsync(string tenant, CancellationToken cancellationToken = default) => _store.ListAsync(tenant, "", cancellationToken);

    /// <summary>
    /// Applies <paramref name="change"/> to the latest level (it returns its argument for no change). A stock the store
    /// does not know is invalid input: orders and movements must name defined stock.
    /// </summary>
    public Task<StockLevel> ChangeAsync(string tenant, string warehouseId, string productId, string path,
        Func<StockLevel, StockLevel> change, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, Id(warehouseId, productId), current =>
        {
            if (current is null) throw Unknown(warehouseId, productId, path);
            var next = change(current);
            return (ReferenceEquals(next, current) ? null : next, next);
        }, cancellationToken);

    public static EventValidationException Unknown(string warehouseId, string productId, string path) =>
        EventValidationException.Invalid($"No stock of product '{productId}' is defined in warehouse '{warehouseId}'.", path);
}
