using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Invoicing;

/// <summary>An invoice for a delivered order; id and number derived from the delivery note.</summary>
[SqlTable("Invoices")]
public sealed record Invoice
{
    public required string InvoiceId { get; init; }
    public required string TenantId { get; init; }
    public required string InvoiceNumber { get; init; }
    public required string CustomerId { get; init; }
    public required string OrderId { get; init; }
    public required string OrderNumber { get; init; }
    public required string DeliveryNoteId { get; init; }
    public required string DeliveryNumber { get; init; }
    public required string Currency { get; init; }
    public required decimal Subtotal { get; init; }
    public required decimal TaxTotal { get; init; }
    /// <summary>What the lines add up to: what the customer owes.</summary>
    public required decimal GrandTotal { get; init; }
    /// <summary>The total the customer was quoted (the offer's, else the order's grandTotal).</summary>
    public required decimal StatedGrandTotal { get; init; }
    /// <summary>GrandTotal - StatedGrandTotal; 0 when they agree, otherwise something to reconcile.</summary>
    public required decimal GrandTotalDifference { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public required DateTimeOffset DueDate { get; init; }
}

/// <summary>One billed line of an <see cref="Invoice"/>; key (InvoiceId, LineNumber), in order line order.</summary>
[SqlTable("InvoiceLines")]
public sealed record InvoiceLine
{
    public required string InvoiceId { get; init; }
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
