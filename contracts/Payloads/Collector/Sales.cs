namespace EventProcessors.Contracts.Payloads.Collector;

// Seed 003 schemas 1-3. Money and quantities are decimal: Collector sends them as strings ("5",
// "300.00") in some schemas and as numbers in others, and ContractJson reads both.

/// <summary><c>offer.approved</c>: the customer approved an offer; Orders creates the order from it.</summary>
public sealed record OfferApproved
{
    public required string OfferId { get; init; }
    public required string OfferNumber { get; init; }
    public required string CustomerId { get; init; }
    public required DateTimeOffset ValidUntil { get; init; }
    public required string Currency { get; init; }
    public required decimal GrandTotal { get; init; }
    public required IReadOnlyList<OfferLineItem> LineItems { get; init; }
}

public sealed record OfferLineItem
{
    /// <summary>Absent for free-text lines that sell no catalogue product.</summary>
    public string? ProductId { get; init; }
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    public decimal? DiscountPercent { get; init; }
    public decimal? TaxPercent { get; init; }
}

/// <summary><c>order.created</c>: an order was created (PENDING); Inventory reserves its stock.</summary>
public sealed record OrderCreated
{
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    public required string CustomerId { get; init; }
    public string? OfferId { get; init; }
    public required IReadOnlyList<OrderLineItem> LineItems { get; init; }
    public required string Currency { get; init; }
    public required decimal GrandTotal { get; init; }
    /// <summary>
    /// The grandTotal the approved offer stated, carried by orders made from an offer (whose own grandTotal follows the
    /// lines) so Invoicing can show where the lines and the stated figure part; absent from Collector's own orders.
    /// </summary>
    public decimal? OfferGrandTotal { get; init; }
}

public sealed record OrderLineItem
{
    public required string ProductId { get; init; }
    public string? Sku { get; init; }
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    /// <summary>Absent when the order leaves the choice of warehouse to Inventory.</summary>
    public string? WarehouseId { get; init; }
    /// <summary>The offer line's discount, carried so Invoicing bills what was ordered; absent when none.</summary>
    public decimal? DiscountPercent { get; init; }
    /// <summary>The offer line's tax rate, carried so Invoicing bills what was ordered; absent when none.</summary>
    public decimal? TaxPercent { get; init; }
}

/// <summary><c>order.confirmed</c>: the order status changed to CONFIRMED; a delivery note is due.</summary>
public sealed record OrderConfirmed
{
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    public required string CustomerId { get; init; }
    public required string ShippingAddressId { get; init; }
    public required IReadOnlyList<ConfirmedOrderLineItem> LineItems { get; init; }
}

public sealed record ConfirmedOrderLineItem
{
    public required string ProductId { get; init; }
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required string Unit { get; init; }
}
