using System.Text.Json.Serialization;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Crm.State;

/// <summary>
/// A customer's payment account in CRM, as <see cref="CustomerAccounts.GetAsync"/> reads it: the currency its first
/// payment fixed, and every payment received exactly once (keyed by <see cref="AccountPayment.PaymentId"/>), in payment
/// date order, with the totals they add up to.
/// </summary>
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
    /// <summary>What the invoice still owed once this payment was applied; 0 means settled.</summary>
    public required decimal OutstandingAmount { get; init; }
    public string? PaymentMethod { get; init; }
    public required DateTimeOffset PaymentDate { get; init; }
}

/// <summary>What has been applied to one invoice: each instalment once, never more than the invoice's grand total.</summary>
/// <param name="Applied">The payments that applied a part, with that part, in the order they were applied.</param>
public sealed record InvoiceBalance(string InvoiceId, decimal GrandTotal, IReadOnlyList<AppliedPayment> Applied)
{
    [JsonIgnore] public decimal Paid => Applied.Sum(a => a.Amount);
    [JsonIgnore] public decimal Outstanding => GrandTotal - Paid;
    [JsonIgnore] public bool Settled => Outstanding == 0;
}

/// <param name="Outstanding">What the invoice still owed after this payment.</param>
public sealed record AppliedPayment(string PaymentId, decimal Amount, decimal Outstanding);

/// <summary>
/// Customer accounts in Table Storage, partitioned by tenant. Each payment is a row of its own (table
/// <c>CustomerPayments</c>, written once and never changed), so an account of a customer who pays for years never
/// outgrows an entity and concurrent payments never contend; the account's currency (<c>CustomerAccounts</c>) and
/// what was applied to each invoice (<c>InvoiceBalances</c>) are small documents, each changed under an ETag.
/// </summary>
public sealed class CustomerAccounts(ITableServiceClient tables)
{
    public const string TableName = "CustomerAccounts";
    public const string PaymentsTableName = "CustomerPayments";
    public const string BalancesTableName = "InvoiceBalances";

    private readonly StateStore<AccountCurrency> _currencies = new(tables, TableName);
    private readonly StateStore<AccountPayment> _payments = new(tables, PaymentsTableName);
    private readonly StateStore<InvoiceBalance> _balances = new(tables, BalancesTableName);

    /// <summary>The account with its payments and totals, or null before its first payment.</summary>
    public async Task<CustomerAccount?> GetAsync(string tenant, string customerId, CancellationToken cancellationToken)
    {
        if (await _currencies.GetAsync(tenant, customerId, cancellationToken).ConfigureAwait(false) is not { } account) return null;
        var payments = new List<AccountPayment>();
        await foreach (var payment in _payments.ListAsync(tenant, StorageKeys.Escape(customerId) + "|", cancellationToken).ConfigureAwait(false))
            payments.Add(payment);
        payments.Sort((a, b) => a.PaymentDate != b.PaymentDate ? a.PaymentDate.CompareTo(b.PaymentDate) : string.CompareOrdinal(a.PaymentId, b.PaymentId));
        return new CustomerAccount
        {
            CustomerId = customerId,
            Currency = account.Value.Currency,
            TotalPaid = payments.Sum(p => p.Amount),
            CreditBalance = payments.Sum(p => p.CreditAmount),
            LastPaymentDate = payments.Count == 0 ? default : payments.Max(p => p.PaymentDate),
            Payments = payments,
        };
    }

    /// <summary>The payment as recorded, or null if it never was.</summary>
    public async Task<AccountPayment?> PaymentAsync(string tenant, string customerId, string paymentId, CancellationToken cancellationToken) =>
        (await _payments.GetAsync(tenant, StorageKeys.Join(customerId, paymentId), cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>The account's currency: <paramref name="currency"/> if this is its first payment, else the one its first payment fixed.</summary>
    public Task<string> CurrencyAsync(string tenant, string customerId, string currency, CancellationToken cancellationToken) =>
        _currencies.UpdateAsync(tenant, customerId, existing => existing is null
            ? (new AccountCurrency(customerId, currency), currency)
            : (null, existing.Currency), cancellationToken);

    /// <summary>What has been applied to the invoice so far, or null before its first payment.</summary>
    public async Task<InvoiceBalance?> BalanceAsync(string tenant, string invoiceId, CancellationToken cancellationToken) =>
        (await _balances.GetAsync(tenant, invoiceId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>
    /// Applies as much of <paramref name="amount"/> as the invoice still owes, once per <paramref name="paymentId"/>: a
    /// re-run gets the part the first run applied. Concurrent instalments are applied one after another under the ETag,
    /// so together they never apply more than <paramref name="grandTotal"/>. Returns the part applied and what is still owed.
    /// </summary>
    public Task<AppliedPayment> ApplyAsync(string tenant, string invoiceId, decimal grandTotal, string paymentId, decimal amount, CancellationToken cancellationToken) =>
        _balances.UpdateAsync(tenant, invoiceId, existing =>
        {
            var balance = existing ?? new InvoiceBalance(invoiceId, grandTotal, []);
            if (balance.Applied.FirstOrDefault(a => a.PaymentId == paymentId) is { } applied) return (null, applied);
            // Nothing applied is not recorded: the invoice is settled and stays so, so a re-run finds 0 again.
            var part = Math.Min(amount, balance.Outstanding);
            if (part <= 0) return (null, new AppliedPayment(paymentId, 0m, 0m));
            var entry = new AppliedPayment(paymentId, part, balance.Outstanding - part);
            return (balance with { Applied = [.. balance.Applied, entry] }, entry);
        }, cancellationToken);

    /// <summary>Records the payment unless it already is; returns the payment as stored (the first run's, on a re-run).</summary>
    public Task<AccountPayment> AddAsync(string tenant, string customerId, AccountPayment payment, CancellationToken cancellationToken) =>
        _payments.UpdateAsync(tenant, StorageKeys.Join(customerId, payment.PaymentId), existing => existing is null
            ? (payment, payment)
            : (null, existing), cancellationToken);

    private sealed record AccountCurrency(string CustomerId, string Currency);
}
