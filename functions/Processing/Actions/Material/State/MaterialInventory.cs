using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Material.State;

/// <summary>
/// A part's finished-goods quantity on hand, as booked from completed work orders. Each work order is booked at
/// most once (its booking is a row of the part's partition, keyed by work order id, written with the quantity), so
/// booking the same completion again changes nothing, and the document stays small however many work orders are booked.
/// </summary>
public sealed record PartInventory
{
    public required string PartId { get; init; }
    public string? PartNumber { get; init; }
    public required decimal QuantityOnHand { get; init; }
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

/// <summary>Part inventories in Table Storage (table <c>MaterialInventory</c>), one entity per (tenant, part id) with a row per booking.</summary>
public sealed class MaterialInventory(ITableServiceClient tables)
{
    public const string TableName = "MaterialInventory";

    private readonly EntityStore<PartInventory> _store = new(tables, TableName);

    public Task<PartInventory?> GetAsync(string tenant, string partId, CancellationToken cancellationToken) =>
        _store.GetAsync(tenant, StorageKeys.Escape(partId), cancellationToken);

    /// <summary>Every booking of the part, in work order id order.</summary>
    public async Task<IReadOnlyList<InventoryBooking>> BookingsAsync(string tenant, string partId, CancellationToken cancellationToken)
    {
        var bookings = new List<InventoryBooking>();
        await foreach (var booking in _store.ListRowsAsync<InventoryBooking>(tenant, StorageKeys.Escape(partId), BookingRow(""), cancellationToken).ConfigureAwait(false))
            bookings.Add(booking);
        return bookings;
    }

    /// <summary>
    /// Books <paramref name="candidate"/>'s quantity of a work order's output unless that work order is booked already;
    /// returns the booking that stands for the work order (this one or the earlier one).
    /// </summary>
    public Task<InventoryBooking> BookAsync(string tenant, string partId, string? partNumber, InventoryBooking candidate, CancellationToken cancellationToken)
    {
        var row = BookingRow(candidate.WorkOrderId);
        return _store.UpdateAsync(tenant, StorageKeys.Escape(partId), [row], (current, rows) =>
        {
            if (rows.Get<InventoryBooking>(row) is { } booked) return (null, booked);
            var onHand = (current?.QuantityOnHand ?? 0m) + candidate.Quantity;
            var booking = candidate with { QuantityOnHandAfter = onHand };
            var next = new PartInventory { PartId = partId, PartNumber = partNumber ?? current?.PartNumber, QuantityOnHand = onHand };
            return (new EntityChange<PartInventory>(next).Put(row, booking), booking);
        }, cancellationToken);
    }

    private static string BookingRow(string workOrderId) => StateTable.Row("booking", workOrderId);
}
