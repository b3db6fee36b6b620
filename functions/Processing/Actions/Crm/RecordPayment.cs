using System.Globalization;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
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
/// <para>A payment is identified by what it is: invoice, payment date, amount and currency. A re-sent copy of
/// invoice.paid (a new event to the pipeline, since Collector events carry no id) is the same payment and
/// is recorded once.</para>
/// <para>Overpayment: invoice.paid says the invoice is settled (Collector sends it when the invoice's payment
/// is received, for the invoice's amount) and CRM never sees invoice totals. So the first payment recorded
/// for an invoice settles it; a further, different payment for the same invoice is money beyond what was
/// owed. It is still recorded (money received never disappears) but it goes to the account's credit
/// balance, to refund or apply later, and its Payment record shows it as credit, not applied.</para>
/// <para>Currency mismatch: the account keeps the currency of its first payment. A payment in another
/// currency cannot be added without an exchange rate CRM does not have, so it is dead-lettered with the
/// two currencies named, for someone to convert and replay it.</para>
/// </remarks>
public sealed class RecordPayment(ITableServiceClient tables) : IConsumerAction
{
    private readonly CustomerAccounts _accounts = new(tables);

    public ConsumerDefinition Definition => Consumers.RecordPayment;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var paid = context.PayloadAs<InvoicePaid>();
        InputRules.NotBlank(paid.InvoiceId, "$.data.invoiceId");
        InputRules.NotBlank(paid.CustomerId, "$.data.customerId");
        var amount = InputRules.Cents(InputRules.Positive(paid.Amount, "$.data.amount"), "$.data.amount");
        var currency = InputRules.Currency(paid.Currency, "$.data.currency");
        var paymentId = DerivedIds.Uuid("payment", context.Tenant, paid.InvoiceId,
            paid.PaymentDate.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            amount.ToString("0.00", CultureInfo.InvariantCulture), currency);

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
            Currency = currency,
            PaymentMethod = payment.PaymentMethod,
            PaymentDate = payment.PaymentDate,
        });
    }

    /// <summary>
    /// Currency first (a payment refused for its currency settles nothing), then the invoice's settlement, then the payment
    /// row. Each step is decided once and read back on a re-run, so a crash between them changes no outcome.
    /// </summary>
    private async Task<AccountPayment> RecordAsync(string tenant, InvoicePaid paid, string paymentId, decimal amount, string currency, CancellationToken cancellationToken)
    {
        var accountCurrency = await _accounts.CurrencyAsync(tenant, paid.CustomerId, currency, cancellationToken).ConfigureAwait(false);
        if (accountCurrency != currency)
            throw EventValidationException.Invalid(
                $"Customer {paid.CustomerId}'s account is in {accountCurrency}; a payment in {currency} cannot be added without conversion.",
                "$.data.currency");
        var settles = await _accounts.SettlesAsync(tenant, paid.InvoiceId, paymentId, cancellationToken).ConfigureAwait(false);
        return await _accounts.AddAsync(tenant, paid.CustomerId, new AccountPayment
        {
            PaymentId = paymentId,
            InvoiceId = paid.InvoiceId,
            InvoiceNumber = paid.InvoiceNumber,
            Amount = amount,
            AppliedAmount = settles ? amount : 0m,
            CreditAmount = settles ? 0m : amount,
            PaymentMethod = paid.PaymentMethod,
            PaymentDate = paid.PaymentDate,
        }, cancellationToken).ConfigureAwait(false);
    }
}
