using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Accounting.State;

/// <summary>An invoice as Accounting posted it: what the customer owes, in which currency, since when.</summary>
public sealed record Receivable
{
    public required string InvoiceId { get; init; }
    public required string InvoiceNumber { get; init; }
    public required string CustomerId { get; init; }
    public required string Currency { get; init; }
    public required decimal Subtotal { get; init; }
    public required decimal TaxTotal { get; init; }
    public required decimal GrandTotal { get; init; }
    /// <summary>When the first copy of invoice.issued was posted; every later posting of the invoice keeps this date.</summary>
    public required DateTimeOffset PostedAt { get; init; }

    /// <summary>Whether <paramref name="other"/> bills the same: same customer, currency and figures.</summary>
    public bool SameFiguresAs(Receivable other) =>
        (CustomerId, Currency, Subtotal, TaxTotal, GrandTotal) == (other.CustomerId, other.Currency, other.Subtotal, other.TaxTotal, other.GrandTotal);
}

/// <summary>
/// Receivables in Table Storage (table <c>Receivables</c>), one document per (tenant, invoice), written once by the first
/// invoice.issued posted: a later copy finds the figures that stand. CRM reads them to settle payments.
/// </summary>
public sealed class Receivables(ITableServiceClient tables)
{
    public const string TableName = "Receivables";

    private readonly StateStore<Receivable> _store = new(tables, TableName);

    public async Task<Receivable?> GetAsync(string tenant, string invoiceId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, invoiceId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Records <paramref name="candidate"/> unless the invoice is already posted; returns the receivable that stands.</summary>
    public Task<Receivable> PostAsync(string tenant, Receivable candidate, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, candidate.InvoiceId, current => current is null ? (candidate, candidate) : (null, current), cancellationToken);
}
