using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Invoicing.State;
using EventProcessors.Processing.Actions.Orders;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Actions.Invoicing;

/// <summary>
/// delivery.confirmed -> invoice.issued: bills the delivered order from its snapshot, priced line by line
/// as the order was, due after the payment terms. Until CaptureOrder has seen order.created the snapshot
/// has no prices, and the delivery is retried rather than dead-lettered.
/// </summary>
/// <remarks>
/// delivery.confirmed carries no lines, so the invoice bills the whole order, and an order is invoiced
/// once: a copy of the same confirmation does nothing, a second delivery note for an order already
/// invoiced is dead-lettered (billing it again would charge the customer twice).
/// </remarks>
public sealed class GenerateInvoice : IConsumerAction
{
    private readonly OrderSnapshots _snapshots;
    private readonly DocumentOrigins _origins;
    private readonly TimeSpan _paymentTerms;

    public GenerateInvoice(ITableServiceClient tables, IOptions<InvoicingOptions> options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Value.PaymentTermsDays, "Invoicing:PaymentTermsDays");
        _snapshots = new OrderSnapshots(tables);
        _origins = new DocumentOrigins(tables);
        _paymentTerms = TimeSpan.FromDays(options.Value.PaymentTermsDays);
    }

    public ConsumerDefinition Definition => Consumers.GenerateInvoice;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var delivery = context.PayloadAs<DeliveryConfirmed>();
        InputRules.NotBlank(delivery.DeliveryNoteId, "$.data.deliveryNoteId");
        InputRules.NotBlank(delivery.OrderId, "$.data.orderId");

        var snapshot = await _snapshots.GetAsync(context.Tenant, delivery.OrderId, cancellationToken).ConfigureAwait(false);
        var order = snapshot?.Created
            ?? throw new TransientProcessingException($"Order {delivery.OrderId} has no snapshot with prices yet (order.created not captured); retrying.");
        if (order.CustomerId != delivery.CustomerId)
            throw EventValidationException.Invalid(
                $"Delivery {delivery.DeliveryNumber} is for customer {delivery.CustomerId}, but order {order.OrderNumber} belongs to customer {order.CustomerId}.",
                "$.data.customerId");

        var invoiceId = DerivedIds.Uuid("invoice", context.Tenant, delivery.DeliveryNoteId);
        var invoiceNumber = DocumentNumbers.Renumber(delivery.DeliveryNumber, "DN-", "INV-");
        var (claim, origin) = await _origins.ClaimAsync(context.Tenant, "invoice", delivery.OrderId,
            new DocumentOrigin(invoiceId, context.Event.Id), cancellationToken).ConfigureAwait(false);
        switch (claim)
        {
            case OriginClaim.AlreadyCreated: return;
            case OriginClaim.Conflict:
                throw EventValidationException.Invalid(
                    $"Order {order.OrderNumber} is already invoiced (invoice {origin.DocumentId}); delivery {delivery.DeliveryNumber} would bill it twice.",
                    "$.data.orderId");
        }

        var lines = order.Lines.Select((line, i) =>
            (Line: line, Price: LinePricing.Price(line.Quantity, line.UnitPrice, line.DiscountPercent, line.TaxPercent, $"snapshot.lines[{i}]"))).ToArray();
        var totals = LinePricing.Totals(lines.Select(l => l.Price));
        var issuedAt = context.OccurredAt();
        var dueDate = issuedAt + _paymentTerms;

        context.Emit(EventTypes.Collector.InvoiceIssued, new InvoiceIssued
        {
            InvoiceId = invoiceId,
            InvoiceNumber = invoiceNumber,
            CustomerId = order.CustomerId,
            OrderId = delivery.OrderId,
            DeliveryNoteId = delivery.DeliveryNoteId,
            Currency = order.Currency,
            Subtotal = totals.Subtotal,
            TaxTotal = totals.TaxTotal,
            GrandTotal = totals.GrandTotal,
            DueDate = dueDate,
            LineItems = lines.Select(l => new InvoiceLineItem
            {
                Description = l.Line.Description,
                Quantity = l.Price.Quantity,
                UnitPrice = l.Price.UnitPrice,
                DiscountPercent = l.Line.DiscountPercent,
                TaxPercent = l.Line.TaxPercent,
                Total = l.Price.NetAmount,
            }).ToArray(),
        }, partitionKey: invoiceId);

        context.Write(new Invoice
        {
            InvoiceId = invoiceId,
            TenantId = context.Tenant,
            InvoiceNumber = invoiceNumber,
            CustomerId = order.CustomerId,
            OrderId = delivery.OrderId,
            OrderNumber = order.OrderNumber,
            DeliveryNoteId = delivery.DeliveryNoteId,
            DeliveryNumber = delivery.DeliveryNumber,
            Currency = order.Currency,
            Subtotal = totals.Subtotal,
            TaxTotal = totals.TaxTotal,
            GrandTotal = totals.GrandTotal,
            IssuedAt = issuedAt,
            DueDate = dueDate,
        });
        for (var i = 0; i < lines.Length; i++)
        {
            var (line, price) = lines[i];
            context.Write(new InvoiceLine
            {
                InvoiceId = invoiceId,
                LineNumber = i + 1,
                TenantId = context.Tenant,
                ProductId = line.ProductId,
                Description = line.Description,
                Quantity = price.Quantity,
                UnitPrice = price.UnitPrice,
                DiscountPercent = price.DiscountPercent,
                DiscountAmount = price.DiscountAmount,
                NetAmount = price.NetAmount,
                TaxPercent = price.TaxPercent,
                TaxAmount = price.TaxAmount,
                LineTotal = price.LineTotal,
            });
        }
    }
}
