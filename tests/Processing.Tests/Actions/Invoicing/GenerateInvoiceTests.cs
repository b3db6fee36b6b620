using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Invoicing;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Telemetry;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Invoicing;

public sealed class GenerateInvoiceOnAzurite(AzuriteFixture azurite) : GenerateInvoiceTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class GenerateInvoiceInMemory : GenerateInvoiceTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class GenerateInvoiceTests : ActionTests
{
    private const string DeliveredAt = "2024-01-15T14:00:00.000Z";

    private readonly ListLogger<GenerateInvoice> _log = new();

    private GenerateInvoice Action(int? paymentTermsDays = null) =>
        new(Tables, Options.Create(paymentTermsDays is { } days ? new InvoicingOptions { PaymentTermsDays = days } : new InvoicingOptions()), _log);

    private Task<ProcessingResult> Capture(string type, JsonObject data) =>
        Pipeline.ProcessAsync(Envelope(type, Tenant, data, "2024-01-15T10:35:00.000Z"), new CaptureOrder(Tables));

    private Task<ProcessingResult> Deliver(JsonObject? data = null, string timestamp = DeliveredAt, GenerateInvoice? action = null) =>
        Pipeline.ProcessAsync(Envelope(EventTypes.Collector.DeliveryConfirmed, Tenant, data ?? DeliveryConfirmed(), timestamp), action ?? Action());

    private string ExpectedInvoiceId => DerivedIds.Uuid("invoice", Tenant, DeliveryNoteId);

    [Fact]
    public async Task Delivered_order_is_invoiced_from_its_snapshot_with_exact_totals_and_net_30()
    {
        await Capture(EventTypes.Collector.OrderCreated, OrderCreated());

        var result = await Deliver();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var issued = Assert.Single(result.Outcome.Events);
        Assert.Equal(EventTypes.Collector.InvoiceIssued, issued.Type);
        Assert.Equal(ExpectedInvoiceId, issued.PartitionKey);
        var invoice = issued.Payload<InvoiceIssued>();
        InvoiceLineItem[] expectedLines =
        [
            new() { Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m, DiscountPercent = 10m, TaxPercent = 20m, Total = 1350.00m },
        ];
        Assert.Equal(expectedLines, invoice.LineItems);
        var dueDate = new DateTimeOffset(2024, 2, 14, 14, 0, 0, TimeSpan.Zero);
        Assert.Equal(new InvoiceIssued
        {
            InvoiceId = ExpectedInvoiceId,
            InvoiceNumber = "INV-2024-001",
            CustomerId = CustomerId,
            OrderId = OrderId,
            DeliveryNoteId = DeliveryNoteId,
            Currency = "USD",
            Subtotal = 1350.00m,
            TaxTotal = 270.00m,
            GrandTotal = 1620.00m,
            DueDate = dueDate,
            LineItems = invoice.LineItems,
        }, invoice);

        Assert.Equal(
        [
            new Invoice
            {
                InvoiceId = ExpectedInvoiceId, TenantId = Tenant, InvoiceNumber = "INV-2024-001", CustomerId = CustomerId, OrderId = OrderId,
                OrderNumber = "ORD-2024-001", DeliveryNoteId = DeliveryNoteId, DeliveryNumber = "DN-2024-001", Currency = "USD",
                Subtotal = 1350.00m, TaxTotal = 270.00m, GrandTotal = 1620.00m, StatedGrandTotal = 1620.00m, GrandTotalDifference = 0m,
                IssuedAt = DateTimeOffset.Parse(DeliveredAt), DueDate = dueDate,
            },
        ], result.Rows<Invoice>());
        Assert.Equal(
        [
            new InvoiceLine
            {
                InvoiceId = ExpectedInvoiceId, LineNumber = 1, TenantId = Tenant, ProductId = ProductId, Description = "Product Name",
                Quantity = 5m, UnitPrice = 300.00m, DiscountPercent = 10m, DiscountAmount = 150.00m, NetAmount = 1350.00m,
                TaxPercent = 20m, TaxAmount = 270.00m, LineTotal = 1620.00m,
            },
        ], result.Rows<InvoiceLine>());
    }

    [Theory]
    [InlineData(14, "2024-01-29T14:00:00Z")]
    [InlineData(0, "2024-01-15T14:00:00Z")]
    public async Task Due_date_follows_the_configured_payment_terms(int days, string due)
    {
        await Capture(EventTypes.Collector.OrderCreated, OrderCreated());

        var result = await Deliver(action: Action(days));

        Assert.Equal(DateTimeOffset.Parse(due), Assert.Single(result.Outcome.Events).Payload<InvoiceIssued>().DueDate);
    }

    [Fact]
    public void Negative_payment_terms_are_refused_at_startup() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Action(-1));

    [Fact]
    public async Task A_delivery_before_its_order_snapshot_is_retried_then_invoiced()
    {
        var early = await Deliver();

        Assert.Equal(ProcessingStatus.Retry, early.Status);
        Assert.Contains($"Order {OrderId} has no snapshot with prices yet", early.RetryReason);
        Assert.True(early.Outcome.IsEmpty);

        await Capture(EventTypes.Collector.OrderCreated, OrderCreated());
        var retried = await Deliver();

        Assert.Equal(ProcessingStatus.Completed, retried.Status);
        Assert.Equal(1620.00m, Assert.Single(retried.Outcome.Events).Payload<InvoiceIssued>().GrandTotal);
    }

    [Fact]
    public async Task A_snapshot_with_only_the_confirmation_has_no_prices_yet_and_is_retried()
    {
        await Capture(EventTypes.Collector.OrderConfirmed, OrderConfirmed());

        var result = await Deliver();

        Assert.Equal(ProcessingStatus.Retry, result.Status);
    }

    [Fact]
    public async Task Duplicate_replays_and_a_re_sent_confirmation_issues_nothing_new()
    {
        await Capture(EventTypes.Collector.OrderCreated, OrderCreated());
        var first = await Deliver();

        var duplicate = await Deliver();
        var resent = await Deliver(timestamp: "2024-01-15T15:00:00.000Z");
        var rerun = await Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.DeliveryConfirmed, Tenant, DeliveryConfirmed(), DeliveredAt), Action());

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
        Assert.Equal(ProcessingStatus.Completed, rerun.Status); // a worker that crashed before completing: same invoice again
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
    }

    [Fact]
    public async Task A_second_delivery_note_for_an_invoiced_order_is_dead_lettered_not_billed_twice()
    {
        await Capture(EventTypes.Collector.OrderCreated, OrderCreated());
        await Deliver();

        var second = await Deliver(DeliveryConfirmed(deliveryNoteId: "d311fe00-0000-4000-8000-000000000002", deliveryNumber: "DN-2024-002"));

        Assert.Equal(ProcessingStatus.DeadLettered, second.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"Order ORD-2024-001 is already invoiced (invoice {ExpectedInvoiceId}); delivery DN-2024-002 would bill it twice.", "$.data.orderId"), second.Error);
    }

    [Fact]
    public async Task A_delivery_for_another_customer_than_the_order_is_dead_lettered()
    {
        await Capture(EventTypes.Collector.OrderCreated, OrderCreated());
        var delivery = DeliveryConfirmed();
        delivery["customerId"] = "someone-else";

        var result = await Deliver(delivery);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"Delivery DN-2024-001 is for customer someone-else, but order ORD-2024-001 belongs to customer {CustomerId}.", "$.data.customerId"), result.Error);
    }

    [Fact]
    public async Task A_total_that_differs_from_the_stated_one_is_invoiced_as_the_lines_say_and_the_difference_is_visible()
    {
        long mismatches = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ProcessingTelemetry.Name && instrument.Name == "eventprocessors.invoices.total_mismatch") l.EnableMeasurementEvents(instrument);
            },
        };
        // Only this test invoices in CHF, so tests running alongside do not count here.
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags) if (tag is { Key: "currency", Value: "CHF" }) Interlocked.Add(ref mismatches, value);
        });
        listener.Start();
        var order = OrderCreated();
        order["currency"] = "CHF";
        order["grandTotal"] = "1500.00"; // the lines come to 1620.00

        await Capture(EventTypes.Collector.OrderCreated, order);
        var result = await Deliver();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var issued = Assert.Single(result.Outcome.Events).Payload<InvoiceIssued>();
        Assert.Equal((1620.00m, 120.00m), (issued.GrandTotal, issued.GrandTotalDifference));
        var invoice = Assert.Single(result.Rows<Invoice>());
        Assert.Equal((1620.00m, 1500.00m, 120.00m), (invoice.GrandTotal, invoice.StatedGrandTotal, invoice.GrandTotalDifference));
        var warning = Assert.Single(_log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains($"Invoice INV-2024-001 ({ExpectedInvoiceId}) for order ORD-2024-001 ({OrderId}), tenant {Tenant}, event {result.Event!.Id}", warning.Message);
        Assert.All(new[] { "1620.00", "1500.00", "120.00" }, amount => Assert.DoesNotContain(amount, warning.Message)); // confidential: ids, never amounts
        Assert.Equal(1, Interlocked.Read(ref mismatches));
    }

    [Fact]
    public async Task Agreeing_totals_carry_no_difference_and_log_no_warning()
    {
        await Capture(EventTypes.Collector.OrderCreated, OrderCreated());

        var result = await Deliver();

        Assert.Null(Assert.Single(result.Outcome.Events).Payload<InvoiceIssued>().GrandTotalDifference);
        Assert.Equal(0m, Assert.Single(result.Rows<Invoice>()).GrandTotalDifference);
        Assert.DoesNotContain(_log.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task The_offers_stated_total_is_what_the_invoice_is_checked_against_when_the_order_carries_it()
    {
        var order = OrderCreated();
        order["offerGrandTotal"] = "1500.00"; // the seed's offer; the order itself follows its lines (1620.00)

        await Capture(EventTypes.Collector.OrderCreated, order);
        var result = await Deliver();

        var invoice = Assert.Single(result.Rows<Invoice>());
        Assert.Equal((1500.00m, 120.00m), (invoice.StatedGrandTotal, invoice.GrandTotalDifference));
    }

    [Fact]
    public async Task A_line_without_a_tax_rate_is_untaxed_and_a_total_that_assumed_tax_shows_the_gap()
    {
        var order = OrderCreated();
        order["lineItems"]![0]!.AsObject().Remove("taxPercent");
        order["lineItems"]![0]!.AsObject().Remove("discountPercent");

        await Capture(EventTypes.Collector.OrderCreated, order);
        var result = await Deliver();

        var line = Assert.Single(result.Rows<InvoiceLine>());
        Assert.Equal((0m, 0m, 0m, 1500.00m), (line.DiscountPercent, line.TaxPercent, line.TaxAmount, line.LineTotal));
        var invoice = Assert.Single(result.Rows<Invoice>());
        Assert.Equal((1500.00m, 0m, 1620.00m, -120.00m), (invoice.GrandTotal, invoice.TaxTotal, invoice.StatedGrandTotal, invoice.GrandTotalDifference));
        Assert.Equal(-120.00m, Assert.Single(result.Outcome.Events).Payload<InvoiceIssued>().GrandTotalDifference);
    }
}
