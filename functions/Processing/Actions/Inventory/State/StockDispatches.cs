using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory.State;

/// <summary>
/// A delivery note's dispatch as Inventory decided it, written once when every item's stock is held: from then on the
/// dispatch is applied in full, by whichever run gets there (a re-run after a crash completes it), and only the event
/// named here announces it.
/// </summary>
public sealed record StockDispatch
{
    public required string DeliveryNoteId { get; init; }
    public required string OrderId { get; init; }
    public required string EventId { get; init; }
    public required DateTimeOffset At { get; init; }
    public required IReadOnlyList<StockDispatchLine> Lines { get; init; }
}

public sealed record StockDispatchLine(string ProductId, string WarehouseId, decimal Quantity);

/// <summary>Decided dispatches (table <c>StockDispatches</c>), one entity per (tenant, delivery note id).</summary>
public sealed class StockDispatches(ITableServiceClient tables)
{
    public const string TableName = "StockDispatches";

    private readonly StateStore<StockDispatch> _store = new(tables, TableName);

    public async Task<StockDispatch?> GetAsync(string tenant, string deliveryNoteId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, deliveryNoteId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Records <paramref name="candidate"/> unless the delivery note is decided already; returns the decision that stands.</summary>
    public Task<StockDispatch> DecideAsync(string tenant, StockDispatch candidate, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, candidate.DeliveryNoteId, current => current is null ? (candidate, candidate) : (null, current), cancellationToken);
}
