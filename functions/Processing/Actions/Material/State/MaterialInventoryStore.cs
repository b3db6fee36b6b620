using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Material.State;

/// <summary>One booking of finished goods, and the on-hand quantity right after it.</summary>
public sealed record InventoryBooking(string EventId, decimal QuantityChange, decimal QuantityOnHandAfter, string? LotNumber);

/// <summary>A part's finished-goods on hand, with its bookings keyed by work order so that no work order is booked twice.</summary>
public sealed record MaterialInventory
{
    public required string PartId { get; init; }
    public required decimal QuantityOnHand { get; init; }
    public required IReadOnlyDictionary<string, InventoryBooking> Bookings { get; init; }
}

/// <summary>Material inventory (table MaterialInventory, id = part id, by tenant), ETag-guarded.</summary>
public sealed class MaterialInventoryStore(ITableServiceClient tables)
{
    public const string TableName = "MaterialInventory";

    private readonly StateStore<MaterialInventory> _store = new(tables, TableName);

    public async Task<MaterialInventory?> GetAsync(string tenant, string partId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, partId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Books <paramref name="quantity"/> for <paramref name="workOrderId"/> once; returns that work order's booking.</summary>
    public Task<InventoryBooking> BookAsync(string tenant, string partId, string workOrderId, string eventId, decimal quantity, string? lotNumber,
        CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, partId, current =>
        {
            if (current is not null && current.Bookings.TryGetValue(workOrderId, out var booked)) return (null, booked);
            var onHand = (current?.QuantityOnHand ?? 0m) + quantity;
            var booking = new InventoryBooking(eventId, quantity, onHand, lotNumber);
            var bookings = new Dictionary<string, InventoryBooking>(current?.Bookings ?? new Dictionary<string, InventoryBooking>(), StringComparer.Ordinal)
            {
                [workOrderId] = booking,
            };
            return (new MaterialInventory { PartId = partId, QuantityOnHand = onHand, Bookings = bookings }, booking);
        }, cancellationToken);
}
