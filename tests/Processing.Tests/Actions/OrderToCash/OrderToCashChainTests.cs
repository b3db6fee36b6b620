using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Accounting;
using EventProcessors.Processing.Actions.Crm;
using EventProcessors.Processing.Actions.Delivery;
using EventProcessors.Processing.Actions.Invoicing;
using EventProcessors.Processing.Actions.Orders;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Tests.Actions.OrderToCash;

public sealed class OrderToCashChainOnAzurite(AzuriteFixture azurite) : OrderToCashChainTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class OrderToCashChainInMemory : OrderToCashChainTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

/// <summary>
/// The whole flow, each action fed the event the previous one emitted (as the outbox publishes it), and
/// Collector's own events (order.confirmed, delivery.confirmed, invoice.paid) built from what was emitted.
/// </summary>
public abstract class OrderToCashChainTests : ActionTests
{
    [Fact]
    public async Task Offer_to_ledger_and_payment_carries_exact_amounts()
    {
        var pipeline = OrderToCashEvents.Harness(Tables);

        // offer.approved (seed: 5 x 300.00, 10% discount, 20% tax) -> order.created
        var approved = await pipeline.ProcessAsync(
            OrderToCashEvents.Envelope(EventTypes.Collector.OfferApproved, Tenant, OrderToCashEvents.OfferApproved()), new CreateOrderFromOffer(Tables));
        var orderCreated = Assert.Single(approved.Outcome.Events);
        var order = orderCreated.Payload<OrderCreated>();

        // Collector confirms the order; Invoicing hears of it before it hears of the creation.
        var confirmedData = OrderToCashEvents.OrderConfirmed(order.OrderId);
        confirmedData["orderNumber"] = order.OrderNumber;
        var confirmed = OrderToCashEvents.Envelope(EventTypes.Collector.OrderConfirmed, Tenant, confirmedData, "2024-01-15T10:40:00.000Z");
        Assert.Equal(ProcessingStatus.Completed, (await pipeline.ProcessAsync(confirmed, new CaptureOrder(Tables))).Status);
        Assert.Equal(ProcessingStatus.Completed, (await pipeline.ProcessAsync(OrderToCashEvents.AsMessage(orderCreated), new CaptureOrder(Tables))).Status);
        var noteResult = await pipeline.ProcessAsync(confirmed, new CreateDeliveryNote(Tables));
        var note = Assert.Single(noteResult.Outcome.Events).Payload<DeliveryNoteCreated>();

        // The delivery arrives -> invoice.issued
        var delivered = OrderToCashEvents.DeliveryConfirmed(order.OrderId, note.DeliveryNoteId, note.DeliveryNumber);
        var invoiced = await pipeline.ProcessAsync(
            OrderToCashEvents.Envelope(EventTypes.Collector.DeliveryConfirmed, Tenant, delivered, "2024-01-15T14:00:00.000Z"),
            new GenerateInvoice(Tables, Options.Create(new InvoicingOptions()), NullLogger<GenerateInvoice>.Instance));
        var invoiceIssued = Assert.Single(invoiced.Outcome.Events);
        var invoice = invoiceIssued.Payload<InvoiceIssued>();
        Assert.Equal(("ORD-2024-001", "DN-2024-001", "INV-2024-001"), (order.OrderNumber, note.DeliveryNumber, invoice.InvoiceNumber));
        Assert.Equal((1350.00m, 270.00m, 1620.00m), (invoice.Subtotal, invoice.TaxTotal, invoice.GrandTotal));
        Assert.Equal(order.GrandTotal, invoice.GrandTotal);
        Assert.Equal(120.00m, invoice.GrandTotalDifference); // the seed's offer states 1500.00 for lines of 1620.00
        Assert.Equal(new DateTimeOffset(2024, 2, 14, 14, 0, 0, TimeSpan.Zero), invoice.DueDate);

        // invoice.issued -> ledger
        var synced = await pipeline.ProcessAsync(OrderToCashEvents.AsMessage(invoiceIssued), new SyncInvoice(Tables));
        Assert.Equal(ProcessingStatus.Completed, synced.Status);
        Assert.Equal(
        [
            ("AccountsReceivable", 1620.00m, 0m),
            ("SalesRevenue", 0m, 1350.00m),
            ("SalesTaxPayable", 0m, 270.00m),
        ], synced.Rows<LedgerEntry>().Select(e => (e.Account, e.Debit, e.Credit)));
        Assert.All(synced.Rows<LedgerEntry>(), e => Assert.Equal((invoice.InvoiceId, "INV-2024-001", Tenant), (e.SourceId, e.SourceNumber, e.TenantId)));

        // The customer pays the invoice -> CRM
        var paid = OrderToCashEvents.InvoicePaid(invoice.InvoiceId, "1620.00");
        paid["invoiceNumber"] = invoice.InvoiceNumber;
        var payment = await pipeline.ProcessAsync(
            OrderToCashEvents.Envelope(EventTypes.Collector.InvoicePaid, Tenant, paid, "2024-01-16T10:00:00.000Z"), new RecordPayment(Tables));
        var row = Assert.Single(payment.Rows<Payment>());
        Assert.Equal((invoice.InvoiceId, 1620.00m, 1620.00m, 0m), (row.InvoiceId, row.Amount, row.AppliedAmount, row.CreditAmount));

        // The causation chain runs back to the approval, and the correlation id is carried all the way.
        Assert.Equal(approved.Event!.Id, orderCreated.CausationId);
        Assert.Equal(invoiced.Event!.Id, invoiceIssued.CausationId);
        Assert.All(new[] { orderCreated, invoiceIssued }, e => Assert.Equal("corr-123", e.CorrelationId));
    }

    [Fact]
    public async Task An_invoice_requested_before_the_order_was_captured_succeeds_once_it_is()
    {
        var pipeline = OrderToCashEvents.Harness(Tables);
        var approved = await pipeline.ProcessAsync(
            OrderToCashEvents.Envelope(EventTypes.Collector.OfferApproved, Tenant, OrderToCashEvents.OfferApproved()), new CreateOrderFromOffer(Tables));
        var orderCreated = Assert.Single(approved.Outcome.Events);
        var orderId = orderCreated.Payload<OrderCreated>().OrderId;
        var delivery = OrderToCashEvents.Envelope(EventTypes.Collector.DeliveryConfirmed, Tenant,
            OrderToCashEvents.DeliveryConfirmed(orderId), "2024-01-15T14:00:00.000Z");
        var generate = new GenerateInvoice(Tables, Options.Create(new InvoicingOptions()), NullLogger<GenerateInvoice>.Instance);

        var early = await pipeline.ProcessAsync(delivery, generate);
        await pipeline.ProcessAsync(OrderToCashEvents.AsMessage(orderCreated), new CaptureOrder(Tables));
        var retried = await pipeline.ProcessAsync(delivery, generate);

        Assert.Equal(ProcessingStatus.Retry, early.Status);
        Assert.Equal(ProcessingStatus.Completed, retried.Status);
        Assert.Equal(1620.00m, Assert.Single(retried.Outcome.Events).Payload<InvoiceIssued>().GrandTotal);
    }

    [Theory]
    // 3 x 1234.5 = 3703.5 -> 3704 yen, -10% (370.4 -> 370) = 3334, +8% tax (266.72 -> 267) = 3601
    [InlineData("JPY", "1234.5", "8", "3601", 3334, 267, 3601, "2000", "1601")]
    // 3 x 12.3455 = 37.0365 -> 37.037 dinars, -10% (3.7037 -> 3.704) = 33.333, +5% tax (1.66665 -> 1.667) = 35.000
    [InlineData("KWD", "12.3455", "5", "35.000", 33.333, 1.667, 35.000, "20.125", "14.875")]
    public async Task A_yen_and_a_dinar_invoice_run_offer_to_ledger_to_payment_in_their_minor_units(
        string currency, string unitPrice, string tax, string statedTotal, double subtotal, double taxTotal, double grandTotal, string firstInstalment, string lastInstalment)
    {
        var pipeline = OrderToCashEvents.Harness(Tables);
        var offer = OrderToCashEvents.OfferApproved();
        offer["currency"] = currency;
        offer["grandTotal"] = statedTotal;
        offer["lineItems"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["productId"] = OrderToCashEvents.ProductId, ["description"] = "Valve", ["quantity"] = "3", ["unitPrice"] = unitPrice, ["discountPercent"] = "10", ["taxPercent"] = tax,
        });

        var approved = await pipeline.ProcessAsync(OrderToCashEvents.Envelope(EventTypes.Collector.OfferApproved, Tenant, offer), new CreateOrderFromOffer(Tables));
        var orderCreated = Assert.Single(approved.Outcome.Events);
        var order = orderCreated.Payload<OrderCreated>();
        Assert.Equal(((decimal)grandTotal, currency), (order.GrandTotal, order.Currency));
        await pipeline.ProcessAsync(OrderToCashEvents.AsMessage(orderCreated), new CaptureOrder(Tables));
        var confirmedData = OrderToCashEvents.OrderConfirmed(order.OrderId);
        confirmedData["lineItems"]![0]!["quantity"] = 3;
        var note = Assert.Single((await pipeline.ProcessAsync(
            OrderToCashEvents.Envelope(EventTypes.Collector.OrderConfirmed, Tenant, confirmedData, "2024-01-15T10:40:00.000Z"), new CreateDeliveryNote(Tables))).Outcome.Events)
            .Payload<DeliveryNoteCreated>();

        var invoiced = await pipeline.ProcessAsync(
            OrderToCashEvents.Envelope(EventTypes.Collector.DeliveryConfirmed, Tenant,
                OrderToCashEvents.DeliveryConfirmed(order.OrderId, note.DeliveryNoteId, note.DeliveryNumber), "2024-01-15T14:00:00.000Z"),
            new GenerateInvoice(Tables, Options.Create(new InvoicingOptions()), NullLogger<GenerateInvoice>.Instance));
        var invoiceIssued = Assert.Single(invoiced.Outcome.Events);
        var invoice = invoiceIssued.Payload<InvoiceIssued>();
        Assert.Equal(((decimal)subtotal, (decimal)taxTotal, (decimal)grandTotal, (decimal?)null, currency),
            (invoice.Subtotal, invoice.TaxTotal, invoice.GrandTotal, invoice.GrandTotalDifference, invoice.Currency));

        var synced = await pipeline.ProcessAsync(OrderToCashEvents.AsMessage(invoiceIssued), new SyncInvoice(Tables));
        Assert.Equal(
        [
            ("AccountsReceivable", (decimal)grandTotal, 0m, currency),
            ("SalesRevenue", 0m, (decimal)subtotal, currency),
            ("SalesTaxPayable", 0m, (decimal)taxTotal, currency),
        ], synced.Rows<LedgerEntry>().Select(e => (e.Account, e.Debit, e.Credit, e.Currency)));

        // Paid in two instalments; the second settles the invoice to the last minor unit.
        Payment Pay(ProcessingResult r) => Assert.Single(r.Rows<Payment>());
        var paid = new List<Payment>();
        foreach (var (amount, date) in new[] { (firstInstalment, "2024-01-20T10:00:00.000Z"), (lastInstalment, "2024-02-01T10:00:00.000Z") })
        {
            var data = OrderToCashEvents.InvoicePaid(invoice.InvoiceId, amount, currency, date);
            data["invoiceNumber"] = invoice.InvoiceNumber;
            paid.Add(Pay(await pipeline.ProcessAsync(OrderToCashEvents.Envelope(EventTypes.Collector.InvoicePaid, Tenant, data, date), new RecordPayment(Tables))));
        }
        Assert.Equal((decimal)grandTotal, paid.Sum(p => p.AppliedAmount));
        Assert.Equal((0m, 0m), (paid[1].OutstandingAmount, paid.Sum(p => p.CreditAmount)));
        Assert.True(paid[0].OutstandingAmount > 0);
    }
}
