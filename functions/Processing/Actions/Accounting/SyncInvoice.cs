using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Accounting.State;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Accounting;

/// <summary>
/// invoice.issued -> the invoice's balanced posting: receivable debit = grand total, revenue credit = subtotal,
/// tax credit = tax total, in the invoice's currency and its minor units (whole yen, cents, fils). An invoice whose
/// figures do not add up is dead-lettered rather than posted, because a ledger must never carry an amount nobody can explain.
/// </summary>
/// <remarks>
/// An invoice is posted once: the first copy's figures and date are kept as its receivable (which CRM settles payments
/// against), a re-sent copy writes the very same ledger rows again, and a copy with other figures for the same invoice
/// id is dead-lettered instead of overwriting the posting (ledger rows upsert, so the last writer would otherwise win).
/// </remarks>
public sealed class SyncInvoice(ITableServiceClient tables) : IConsumerAction
{
    private readonly Receivables _receivables = new(tables);

    public ConsumerDefinition Definition => Consumers.SyncInvoice;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var invoice = context.PayloadAs<InvoiceIssued>();
        InputRules.NotBlank(invoice.InvoiceId, "$.data.invoiceId");
        InputRules.NotBlank(invoice.CustomerId, "$.data.customerId");
        var currency = InputRules.Currency(invoice.Currency, "$.data.currency");
        var subtotal = InputRules.Money(InputRules.NotNegative(invoice.Subtotal, "$.data.subtotal"), currency, "$.data.subtotal");
        var taxTotal = InputRules.Money(InputRules.NotNegative(invoice.TaxTotal, "$.data.taxTotal"), currency, "$.data.taxTotal");
        var grandTotal = InputRules.Money(InputRules.NotNegative(invoice.GrandTotal, "$.data.grandTotal"), currency, "$.data.grandTotal");
        InputRules.NotEmpty(invoice.LineItems, "$.data.lineItems");
        for (var i = 0; i < invoice.LineItems.Count; i++)
        {
            InputRules.Positive(invoice.LineItems[i].Quantity, $"$.data.lineItems[{i}].quantity");
            InputRules.NotNegative(invoice.LineItems[i].UnitPrice, $"$.data.lineItems[{i}].unitPrice");
            InputRules.Money(InputRules.NotNegative(invoice.LineItems[i].Total, $"$.data.lineItems[{i}].total"), currency, $"$.data.lineItems[{i}].total");
        }
        var linesTotal = invoice.LineItems.Sum(l => l.Total);
        if (linesTotal != subtotal)
            throw EventValidationException.Invalid($"The line totals add up to {linesTotal}, but the subtotal is {subtotal}.", "$.data.subtotal");
        if (subtotal + taxTotal != grandTotal)
            throw EventValidationException.Invalid($"Subtotal {subtotal} + tax {taxTotal} = {subtotal + taxTotal}, but the grand total is {grandTotal}.", "$.data.grandTotal");

        var candidate = new Receivable
        {
            InvoiceId = invoice.InvoiceId, InvoiceNumber = invoice.InvoiceNumber, CustomerId = invoice.CustomerId, Currency = currency,
            Subtotal = subtotal, TaxTotal = taxTotal, GrandTotal = grandTotal, PostedAt = context.OccurredAt(),
        };
        var posted = await _receivables.PostAsync(context.Tenant, candidate, cancellationToken).ConfigureAwait(false);
        if (!posted.SameFiguresAs(candidate))
            throw EventValidationException.Invalid(
                $"Invoice {posted.InvoiceNumber} ({posted.InvoiceId}) is already posted with other figures; a changed invoice needs a credit note, not a second invoice.issued.",
                "$.data.invoiceId");

        var description = $"Invoice {posted.InvoiceNumber}";
        new Journal(context, LedgerSources.Invoice, posted.InvoiceId, posted.InvoiceNumber, currency, posted.PostedAt)
            .Debit(LedgerAccounts.AccountsReceivable, posted.GrandTotal, description, posted.CustomerId)
            .Credit(LedgerAccounts.SalesRevenue, posted.Subtotal, description, posted.CustomerId)
            .Credit(LedgerAccounts.SalesTaxPayable, posted.TaxTotal, description)
            .Post();
    }
}
