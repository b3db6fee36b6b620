using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Material.State;

/// <summary>
/// A part's finished-goods quantity on hand, as booked from completed work orders. Each work order is booked at
/// most once (<see cref="Bookings"/> is keyed by work order id), so booking the same completion again changes nothing.
/// </summary>
/// <remarks>A booking takes about 200 bytes; a table entity (1 MiB) holds a few thousand work orders of one part.</remarks>
public sealed record PartInventory
{
    public required string PartId { get; init; }
    public string? PartNumber { get; init; }
    public required decimal QuantityOnHand { get; init; }
    public required IReadOnlyList<InventoryBooking> Bookings { get; init; }
}

/// <summary>One work order's output booked into stock, with the event that booked it and the quantity on hand after it.</summary>
public sealed record InventoryBooking
{
    public required string WorkOrderId { get; init; }
    public required string EventId { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal QuantityOnHandAfter { get; init; }
    public string? LotNumber { get; init; }
    public required DateTimeOffset BookedAt { get; init; }
}

/// <summary>Part inventories in Table Storage (table <c>MaterialInventory</c>), one document per (tenant, part id).</summary>
public sealed class MaterialInventory(ITableServiceClient tables)
{
    public const string TableName = "MaterialInventory";

    private readonly StateStore<PartInventory> _store = new(tables, TableName);

    public async Task<PartInventory?> GetAsync(string tenant, string partId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, partId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>
    /// Books <paramref name="quantity"/> of a work order's output unless that work order is booked already;
    /// returns the booking that stands for the work order (this one or the earlier one).
    /// </summary>
    public Task<InventoryBooking> BookAsync(string tenant, string partId, string? partNumber, InventoryBooking candidate, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, partId, current =>
        {
            if (current?.Bookings.FirstOrDefault(b => b.WorkOrderId == candidate.WorkOrderId) is { } booked) return (null, booked);
            var onHand = (current?.QuantityOnHand ?? 0m) + candidate.Quantity;
            var booking = candidate with { QuantityOnHandAfter = onHand };
            var next = new PartInventory
            {
                PartId = partId,
                PartNumber = partNumber ?? current?.PartNumber,
                QuantityOnHand = onHand,
                Bookings = [.. current?.Bookings ?? [], booking],
            };
            return (next, booking);
        }, cancellationToken);
}
