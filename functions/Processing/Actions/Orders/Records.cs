using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Orders;

/// <summary>An order created from an approved offer (status PENDING until Collector confirms it).</summary>
[SqlTable("Orders")]
public sealed record Order
{
    public required string OrderId { get; init; }
    public required string TenantId { get; init; }
    public required string OrderNumber { get; init; }
    public required string OfferId { get; init; }
    public required string OfferNumber { get; init; }
    public required string CustomerId { get; init; }
    public required string Currency { get; init; }
    public required string Status { get; init; }
    public required decimal Subtotal { get; init; }
    public required decimal TaxTotal { get; init; }
    public required decimal GrandTotal { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One priced line of an <see cref="Order"/>; key (OrderId, LineNumber), lines numbered from 1 in offer order.</summary>
[SqlTable("OrderLines")]
public sealed record OrderLine
{
    public required string OrderId { get; init; }
    public required int LineNumber { get; init; }
    public required string TenantId { get; init; }
    public required string ProductId { get; init; }
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    public required decimal DiscountPercent { get; init; }
    public required decimal DiscountAmount { get; init; }
    public required decimal NetAmount { get; init; }
    public required decimal TaxPercent { get; init; }
    public required decimal TaxAmount { get; init; }
    public required decimal LineTotal { get; init; }
}
