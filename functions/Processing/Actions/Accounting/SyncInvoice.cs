using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Accounting;

/// <summary>
/// invoice.issued -> the invoice's balanced posting: receivable debit = grand total, revenue credit = subtotal,
/// tax credit = tax total. An invoice whose figures do not add up is dead-lettered rather than posted,
/// because a ledger must never carry an amount nobody can explain.
/// </summary>
public sealed class SyncInvoice : IConsumerAction
{
    public ConsumerDefinition Definition => Consumers.SyncInvoice;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var invoice = context.PayloadAs<InvoiceIssued>();
        InputRules.NotBlank(invoice.InvoiceId, "$.data.invoiceId");
        InputRules.NotBlank(invoice.CustomerId, "$.data.customerId");
        var currency = InputRules.Currency(invoice.Currency, "$.data.currency");
        var subtotal = InputRules.Cents(InputRules.NotNegative(invoice.Subtotal, "$.data.subtotal"), "$.data.subtotal");
        var taxTotal = InputRules.Cents(InputRules.NotNegative(invoice.TaxTotal, "$.data.taxTotal"), "$.data.taxTotal");
        var grandTotal = InputRules.Cents(InputRules.NotNegative(invoice.GrandTotal, "$.data.grandTotal"), "$.data.grandTotal");
        InputRules.NotEmpty(invoice.LineItems, "$.data.lineItems");
        for (var i = 0; i < invoice.LineItems.Count; i++)
        {
            InputRules.Positive(invoice.LineItems[i].Quantity, $"$.data.lineItems[{i}].quantity");
            InputRules.NotNegative(invoice.LineItems[i].UnitPrice, $"$.data.lineItems[{i}].unitPrice");
            InputRules.NotNegative(invoice.LineItems[i].Total, $"$.data.lineItems[{i}].total");
        }
        var linesTotal = invoice.LineItems.Sum(l => l.Total);
        if (linesTotal != subtotal)
            throw EventValidationException.Invalid($"The line totals add up to {linesTotal}, but the subtotal is {subtotal}.", "$.data.subtotal");
        if (subtotal + taxTotal != grandTotal)
            throw EventValidationException.Invalid($"Subtotal {subtotal} + tax {taxTotal} = {subtotal + taxTotal}, but the grand total is {grandTotal}.", "$.data.grandTotal");

        var description = $"Invoice {invoice.InvoiceNumber}";
        new Journal(context, LedgerSources.Invoice, invoice.InvoiceId, invoice.InvoiceNumber, currency, context.OccurredAt())
            .Debit(LedgerAccounts.AccountsReceivable, grandTotal, description, invoice.CustomerId)
            .Credit(LedgerAccounts.SalesRevenue, subtotal, description, invoice.CustomerId)
            .Credit(LedgerAccounts.SalesTaxPayable, taxTotal, description)
            .Post();
        return Task.CompletedTask;
    }
}
