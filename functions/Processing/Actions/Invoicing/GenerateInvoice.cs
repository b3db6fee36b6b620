using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Invoicing.State;
using EventProcessors.Processing.Actions.Orders;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Logging;
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
/// <para>Stated totals: the invoice always follows its lines (priced by <see cref="LinePricing"/>, so a line without a
/// discount or tax rate has none). When that total differs from the one the customer was quoted (the offer's
/// grandTotal if order.created carries it, else the order's), the invoice is still issued, with the difference on the
/// Invoice row and on invoice.issued (<c>grandTotalDifference</c>), a warning naming the invoice and order, and the
/// <c>eventprocessors.invoices.total_mismatch</c> metric, so someone reconciles it before the customer does.</para>
/// </remarks>
public sealed partial class GenerateInvoice : IConsumerAction
{
    private readonly OrderSnapshots _snapshots;
    private readonly DocumentOrigins _origins;
    private readonly TimeSpan _paymentTerms;
    private readonly ILogger<GenerateInvoice> _logger;

    public GenerateInvoice(ITableServiceClient tables, IOptions<InvoicingOptions> options, ILogger<GenerateInvoice> logger)
    {
        _logger = logger;
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
            (Line: line, Price: LinePricing.Price(line.Quantity, line.UnitPrice, line.DiscountPercent, line.TaxPercent, order.Currency, $"snapshot.lines[{i}]"))).ToArray();
        var totals = LinePricing.Totals(lines.Select(l => l.Price));
        var issuedAt = context.OccurredAt();
        var dueDate = issuedAt + _paymentTerms;
        var difference = totals.GrandTotal - order.StatedGrandTotal;
        if (difference != 0)
        {
            // Ids only: invoice.issued is confidential, so its amounts stay out of logs.
            LogTotalMismatch(_logger, invoiceNumber, invoiceId, order.OrderNumber, delivery.OrderId, context.Tenant, context.Event.Id);
            ProcessingTelemetry.RecordTotalMismatch(order.Currency);
        }

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
            GrandTotalDifference = difference == 0 ? null : difference,
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
            StatedGrandTotal = order.StatedGrandTotal,
            GrandTotalDifference = difference,
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

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Invoice {InvoiceNumber} ({InvoiceId}) for order {OrderNumber} ({OrderId}), tenant {Tenant}, event {EventId}: the lines do not add up to the total the order stated; issued as the lines say, with the difference on the invoice.")]
    private static partial void LogTotalMismatch(ILogger logger, string invoiceNumber, string invoiceId, string orderNumber, string orderId, string tenant, string eventId);
}
