namespace EventProcessors.Contracts.Payloads.Collector;

/// <summary><c>invoice.issued</c> (seed 003 schema 6): Accounting posts the ledger entries.</summary>
public sealed record InvoiceIssued
{
    public required string InvoiceId { get; init; }
    public required string InvoiceNumber { get; init; }
    public required string CustomerId { get; init; }
    public string? OrderId { get; init; }
    public string? DeliveryNoteId { get; init; }
    public required string Currency { get; init; }
    public required decimal Subtotal { get; init; }
    public required decimal TaxTotal { get; init; }
    public required decimal GrandTotal { get; init; }
    /// <summary>
    /// GrandTotal minus the total the order (or its offer) stated, when they differ: the invoice follows its lines, and
    /// this says by how much that departs from what the customer was quoted. Absent when they agree.
    /// </summary>
    public decimal? GrandTotalDifference { get; init; }
    public required DateTimeOffset DueDate { get; init; }
    public required IReadOnlyList<InvoiceLineItem> LineItems { get; init; }
}

public sealed record InvoiceLineItem
{
    public required string Description { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
    /// <summary>The line's discount, which explains a <see cref="Total"/> below quantity x unit price; absent when none.</summary>
    public decimal? DiscountPercent { get; init; }
    /// <summary>The tax rate on the line's total; absent when none.</summary>
    public decimal? TaxPercent { get; init; }
    /// <summary>The line's net amount (after discount, before tax); the lines add up to the subtotal.</summary>
    public required decimal Total { get; init; }
}

/// <summary><c>invoice.paid</c> (seed 003 schema 7): CRM records the payment on the customer's account.</summary>
public sealed record InvoicePaid
{
    public required string InvoiceId { get; init; }
    public required string InvoiceNumber { get; init; }
    public required string CustomerId { get; init; }
    public required decimal Amount { get; init; }
    public string? PaymentMethod { get; init; }
    public required DateTimeOffset PaymentDate { get; init; }
    public required string Currency { get; init; }
}
