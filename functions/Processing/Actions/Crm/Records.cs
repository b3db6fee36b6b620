using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Crm;

/// <summary>A payment received from a customer against an invoice; Amount = AppliedAmount + CreditAmount. Written once per payment.</summary>
[SqlTable("Payments")]
public sealed record Payment
{
    public required string PaymentId { get; init; }
    public required string TenantId { get; init; }
    public required string CustomerId { get; init; }
    public required string InvoiceId { get; init; }
    public required string InvoiceNumber { get; init; }
    public required decimal Amount { get; init; }
    public required decimal AppliedAmount { get; init; }
    public required decimal CreditAmount { get; init; }
    /// <summary>What the invoice still owed after this payment; 0 once its payments reach its grand total (settled).</summary>
    public required decimal OutstandingAmount { get; init; }
    public required string Currency { get; init; }
    public string? PaymentMethod { get; init; }
    public required DateTimeOffset PaymentDate { get; init; }
}
