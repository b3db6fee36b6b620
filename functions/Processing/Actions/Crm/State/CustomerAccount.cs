using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Crm.State;

/// <summary>
/// A customer's payment account in CRM. Every payment received is in <see cref="Payments"/> exactly once
/// (keyed by <see cref="AccountPayment.PaymentId"/>), so re-applying one changes nothing.
/// </summary>
/// <remarks>The document holds its payments; at about 200 bytes each, a table entity (1 MiB) holds several thousand.</remarks>
public sealed record CustomerAccount
{
    public required string CustomerId { get; init; }
    /// <summary>Fixed by the first payment; amounts in other currencies cannot be added to it without a rate.</summary>
    public required string Currency { get; init; }
    /// <summary>Everything received from the customer.</summary>
    public required decimal TotalPaid { get; init; }
    /// <summary>Received beyond what settled invoices: owed back to the customer or to apply to a later invoice.</summary>
    public required decimal CreditBalance { get; init; }
    public required DateTimeOffset LastPaymentDate { get; init; }
    public required IReadOnlyList<AccountPayment> Payments { get; init; }
}

public sealed record AccountPayment
{
    public required string PaymentId { get; init; }
    public required string InvoiceId { get; init; }
    public required string InvoiceNumber { get; init; }
    public required decimal Amount { get; init; }
    /// <summary>The part that settled the invoice.</summary>
    public required decimal AppliedAmount { get; init; }
    /// <summary>The part that went to <see cref="CustomerAccount.CreditBalance"/>.</summary>
    public required decimal CreditAmount { get; init; }
    public string? PaymentMethod { get; init; }
    public required DateTimeOffset PaymentDate { get; init; }
}

/// <summary>Customer accounts in Table Storage (table <c>CustomerAccounts</c>), one document per (tenant, customer id).</summary>
public sealed class CustomerAccounts(ITableServiceClient tables)
{
    public const string TableName = "CustomerAccounts";

    private readonly StateStore<CustomerAccount> _store = new(tables, TableName);

    public async Task<CustomerAccount?> GetAsync(string tenant, string customerId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, customerId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <inheritdoc cref="StateStore{T}.UpdateAsync"/>
    public Task<TResult> UpdateAsync<TResult>(string tenant, string customerId, Func<CustomerAccount?, (CustomerAccount? Next, TResult Result)> decide, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, customerId, decide, cancellationToken);
}
