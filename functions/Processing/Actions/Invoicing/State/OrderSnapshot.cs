using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Invoicing.State;

/// <summary>
/// What Invoicing keeps of an order until it bills it. Each event fills its own part, so order.created and
/// order.confirmed leave the same snapshot whichever arrives first; each part is written once (Collector
/// publishes each event once per order, so a later copy is a redelivery, never a change).
/// </summary>
public sealed record OrderSnapshot
{
    public required string OrderId { get; init; }

    /// <summary>From order.created: the priced lines an invoice bills. Null until that event arrives.</summary>
    public PricedOrder? Created { get; init; }

    /// <summary>From order.confirmed: where it ships and in which units. Null until that event arrives.</summary>
    public ConfirmedOrder? Confirmed { get; init; }

    /// <summary>Both events have arrived.</summary>
    public bool IsComplete => Created is not null && Confirmed is not null;
}

public sealed record PricedOrder
{
    public required string OrderNumber { get; init; }
    public required string CustomerId { get; init; }
    public string? OfferId { get; init; }
    public required string Currency { get; init; }
    /// <summary>The total order.created stated; the invoice is computed from the lines.</summary>
    public required decimal GrandTotal { get; init; }
    /// <summary>The total the order's offer stated, when order.created carries it.</summary>
    public decimal? OfferGrandTotal { get; init; }

    /// <summary>The figure the customer was quoted: the offer's when known, else the order's.</summary>
    public decimal StatedGrandTotal => OfferGrandTotal ?? GrandTotal;
    public required IReadOnlyList<PricedOrderLine> Lines { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

public sealed record PricedOrderLine
{
    public required string ProductId { get; init; }
    public string? Sku { get; init; }
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    public decimal? DiscountPercent { get; init; }
    public decimal? TaxPercent { get; init; }
}

public sealed record ConfirmedOrder
{
    public required string OrderNumber { get; init; }
    public required string CustomerId { get; init; }
    public required string ShippingAddressId { get; init; }
    public required IReadOnlyList<ConfirmedOrderLine> Lines { get; init; }
    public required DateTimeOffset ConfirmedAt { get; init; }
}

public sealed record ConfirmedOrderLine
{
    public required string ProductId { get; init; }
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required string Unit { get; init; }
}

/// <summary>Order snapshots in Table Storage (table <c>OrderSnapshots</c>), one document per (tenant, order id).</summary>
public sealed class OrderSnapshots(ITableServiceClient tables)
{
    public const string TableName = "OrderSnapshots";

    private readonly StateStore<OrderSnapshot> _store = new(tables, TableName);

    public async Task<OrderSnapshot?> GetAsync(string tenant, string orderId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, orderId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Applies <paramref name="fill"/> to the latest snapshot (a new one if none); <paramref name="fill"/> returns its argument to leave it as it is.</summary>
    public Task<OrderSnapshot> FillAsync(string tenant, string orderId, Func<OrderSnapshot, OrderSnapshot> fill, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, orderId, current =>
        {
            var before = current ?? new OrderSnapshot { OrderId = orderId };
            var after = fill(before);
            return (ReferenceEquals(after, before) ? null : after, after);
        }, cancellationToken);
}
