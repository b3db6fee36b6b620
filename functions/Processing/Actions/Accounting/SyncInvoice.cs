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
/// An invoice is posted once (<see cref="Journal"/>): the first copy's figures and date stand (CRM settles payments
/// against its receivable line), a re-sent copy writes the very same ledger rows again, and a copy with other figures
/// for the same invoice id is dead-lettered instead of overwriting the posting.
/// </remarks>
public sealed class SyncInvoice(ITableServiceClient tables) : IConsumerAction
{
    private readonly Postings _postings = new(tables);

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

        var description = $"Invoice {invoice.InvoiceNumber}";
        await new Journal(context, LedgerSources.Invoice, invoice.InvoiceId, invoice.InvoiceNumber, currency, context.OccurredAt())
            .Debit(LedgerAccounts.AccountsReceivable, grandTotal, description, invoice.CustomerId)
            .Credit(LedgerAccounts.SalesRevenue, subtotal, description, invoice.CustomerId)
            .Credit(LedgerAccounts.SalesTaxPayable, taxTotal, description)
            .PostAsync(_postings, "$.data.invoiceId", cancellationToken).ConfigureAwait(false);
    }
}
