using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Accounting;
using EventProcessors.Processing.Actions.Accounting.State;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Crm.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Crm;

/// <summary>
/// invoice.paid -> the payment on the customer's account (a row of its own in Table Storage, so concurrent payments
/// of one customer all count and an account never outgrows an entity) and a Payment record.
/// </summary>
/// <remarks>
/// <para>Settlement: an invoice is settled when its payments reach its grand total. Instalments accumulate in any
/// order, also when they race; a payment beyond what the invoice still owes applies what it owes and becomes credit for
/// exactly the excess, to refund or apply later. The grand total, customer and currency are the invoice's receivable line
/// as Accounting posted it from invoice.issued (SyncInvoice); a payment for an invoice not posted yet is retried.</para>
/// <para>Refused with the reason, dead-lettered and changing nothing: a payment naming a customer other than the
/// invoice's, one in a currency other than the invoice's, and one in a currency other than the account's (fixed by the
/// customer's first payment; credit balances cannot be added up across currencies without a rate CRM does not have).</para>
/// <para>A payment is identified by what it is: invoice, payment date, amount and currency. A re-sent copy of
/// invoice.paid (a new event to the pipeline, since Collector events carry no id) is the same payment and is recorded once.</para>
/// </remarks>
public sealed class RecordPayment(ITableServiceClient tables) : IConsumerAction
{
    private readonly CustomerAccounts _accounts = new(tables);
    private readonly Postings _postings = new(tables);

    public ConsumerDefinition Definition => Consumers.RecordPayment;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var paid = context.PayloadAs<InvoicePaid>();
        InputRules.NotBlank(paid.InvoiceId, "$.data.invoiceId");
        InputRules.NotBlank(paid.CustomerId, "$.data.customerId");
        var currency = InputRules.Currency(paid.Currency, "$.data.currency");
        var amount = InputRules.Money(InputRules.Positive(paid.Amount, "$.data.amount"), currency, "$.data.amount");
        var paymentId = DerivedIds.Uuid("payment", context.Tenant, paid.InvoiceId,
            paid.PaymentDate.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            Currencies.Format(amount, currency), currency);

        var payment = await _accounts.PaymentAsync(context.Tenant, paid.CustomerId, paymentId, cancellationToken).ConfigureAwait(false)
            ?? await RecordAsync(context.Tenant, paid, paymentId, amount, currency, cancellationToken).ConfigureAwait(false);

        // Written from the stored entry, so a re-run after a crash writes the very same row.
        context.Write(new Payment
        {
            PaymentId = payment.PaymentId,
            TenantId = context.Tenant,
            CustomerId = paid.CustomerId,
            InvoiceId = payment.InvoiceId,
            InvoiceNumber = payment.InvoiceNumber,
            Amount = payment.Amount,
            AppliedAmount = payment.AppliedAmount,
            CreditAmount = payment.CreditAmount,
            OutstandingAmount = payment.OutstandingAmount,
            Currency = currency,
            PaymentMethod = payment.PaymentMethod,
            PaymentDate = payment.PaymentDate,
        });
    }

    /// <summary>
    /// The invoice's checks first (a refused payment changes nothing), then the account's currency, then the part applied
    /// to the invoice, then the payment row. Each step is decided once and read back on a re-run, so a crash between them
    /// changes no outcome.
    /// </summary>
    private async Task<AccountPayment> RecordAsync(string tenant, InvoicePaid paid, string paymentId, decimal amount, string currency, CancellationToken cancellationToken)
    {
        var invoice = await _postings.GetAsync(tenant, LedgerSources.Invoice, paid.InvoiceId, cancellationToken).ConfigureAwait(false)
            ?? throw new TransientProcessingException($"Invoice {paid.InvoiceNumber} ({paid.InvoiceId}) is not posted yet (invoice.issued not synced); retrying.");
        // A zero invoice posts no lines, so it names no customer to check a payment against.
        var receivable = invoice.Lines.FirstOrDefault(l => l.Account == LedgerAccounts.AccountsReceivable)
            ?? throw EventValidationException.Invalid($"Invoice {invoice.SourceNumber} totals 0; there is nothing to pay against it.", "$.data.invoiceId");
        if (receivable.CustomerId != paid.CustomerId)
            throw EventValidationException.Invalid(
                $"Invoice {invoice.SourceNumber} belongs to customer {receivable.CustomerId}; a payment from customer {paid.CustomerId} cannot settle it.",
                "$.data.customerId");
        if (invoice.Currency != currency)
            throw EventValidationException.Invalid(
                $"Invoice {invoice.SourceNumber} is in {invoice.Currency}; a payment in {currency} cannot settle it without conversion.",
                "$.data.currency");
        var accountCurrency = await _accounts.CurrencyAsync(tenant, paid.CustomerId, currency, cancellationToken).ConfigureAwait(false);
        if (accountCurrency != currency)
            throw EventValidationException.Invalid(
                $"Customer {paid.CustomerId}'s account is in {accountCurrency}; a payment in {currency} cannot be added without conversion.",
                "$.data.currency");
        var applied = await _accounts.ApplyAsync(tenant, paid.InvoiceId, receivable.Debit, paymentId, amount, cancellationToken).ConfigureAwait(false);
        return await _accounts.AddAsync(tenant, paid.CustomerId, new AccountPayment
        {
            PaymentId = paymentId,
            InvoiceId = paid.InvoiceId,
            InvoiceNumber = paid.InvoiceNumber,
            Amount = amount,
            AppliedAmount = applied.Amount,
            CreditAmount = amount - applied.Amount,
            OutstandingAmount = applied.Outstanding,
            PaymentMethod = paid.PaymentMethod,
            PaymentDate = paid.PaymentDate,
        }, cancellationToken).ConfigureAwait(false);
    }
}
