using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory.State;

/// <summary>
/// How ReserveStock decided an order, written once. A re-run after a crash replays the decision instead of deciding
/// again on stock that may have moved since, so it emits the same events.
/// </summary>
public sealed record StockReservation
{
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    /// <summary>The order.created event that decided; a re-sent copy of the order finds another id and does nothing.</summary>
    public required string EventId { get; init; }
    public required bool Reserved { get; init; }
    /// <summary>One line per (warehouse, product), the warehouse as chosen.</summary>
    public required IReadOnlyList<StockReservationLine> Lines { get; init; }
    public required IReadOnlyList<StockShortage> Shortages { get; init; }
}

/// <summary>Reservation decisions in Table Storage (table <c>StockReservations</c>), one document per (tenant, order id).</summary>
public sealed class StockReservations(ITableServiceClient tables)
{
    public const string TableName = "StockReservations";

    private readonly StateStore<StockReservation> _store = new(tables, TableName);

    public async Task<StockReservation?> GetAsync(string tenant, string orderId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(tenant, orderId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Records <paramref name="decision"/> unless the order is already decided; returns the decision that stands.</summary>
    public Task<StockReservation> DecideAsync(string tenant, StockReservation decision, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, decision.OrderId, current => current is null ? (decision, decision) : (null, current), cancellationToken);
}
