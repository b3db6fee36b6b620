using System.Text.Json.Serialization;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory.State;

[JsonConverter(typeof(JsonStringEnumConverter<OrderReservationStatus>))]
public enum OrderReservationStatus
{
    /// <summary>Every line is held.</summary>
    Reserved,
    /// <summary>At least one line lacked stock, so nothing is held.</summary>
    Failed,
    /// <summary>The order shipped before its reservation was decided; there is nothing left to reserve.</summary>
    Dispatched,
}

/// <summary>
/// Inventory's final word on an order's reservation, written once per order. It makes the decision stick:
/// a re-sent order.created (a new event, since Collector events carry no id) or one arriving after the
/// delivery changes nothing, and a re-run of the deciding event announces exactly what it decided.
/// </summary>
public sealed record OrderReservation
{
    public required string OrderId { get; init; }
    /// <summary>The event that decided; only it announces the decision.</summary>
    public required string EventId { get; init; }
    public required OrderReservationStatus Status { get; init; }
    /// <summary>The order's lines with the warehouse chosen for each; empty for <see cref="OrderReservationStatus.Dispatched"/>.</summary>
    public IReadOnlyList<StockReservationLine> Lines { get; init; } = [];
    /// <summary>What was announced: stock.reserved, or stock.reservation-failed.</summary>
    public StockReserved? Reserved { get; init; }
    public StockReservationFailed? Failure { get; init; }
    /// <summary>The stock.low events the reservation fired, in line order.</summary>
    public IReadOnlyList<StockLow> StockLows { get; init; } = [];
}

/// <summary>Order reservations in Table Storage (table <c>OrderReservations</c>), one document per (tenant, order id).</summary>
public sealed class OrderReservations(ITableServiceClient tables)
{
    public const string TableName = "OrderReservations";

    private readonly StateStore<OrderReservation> _store = new(tables, TableName);

    public async Task<OrderReservation?> GetAsync(string tenant, string orderId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(tenant, orderId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Records <paramref name="candidate"/> unless the order is decided already; returns the decision that stands.</summary>
    public Task<OrderReservation> DecideAsync(string tenant, OrderReservation candidate, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, candidate.OrderId, current => current is null ? (candidate, candidate) : (null, current), cancellationToken);
}
