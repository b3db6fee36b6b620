using System.Text;
using EventProcessors.Contracts.Payloads.Collector;

namespace EventProcessors.Contracts.Tests;

/// <summary>Every Collector example of seed 003 reads to the canonical event and its payload record.</summary>
public sealed class CollectorSeedExampleTests
{
    private static readonly EnvelopeReader Reader = new();

    private static CloudEvent Read(string json, string? messageId = null)
    {
        var result = Reader.Read(new InboundMessage(Encoding.UTF8.GetBytes(json), MessageId: messageId));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    [Fact]
    public void The_seed_document_has_all_eleven_schemas()
    {
        Assert.Equal(
            ["offer.approved", "order.created", "order.confirmed", "delivery.dispatched", "delivery.confirmed", "invoice.issued",
             "invoice.paid", "stock.low", "task.completed", "employee.hired", "payroll.processed"],
            SeedExamples.Collector.Keys);
    }

    [Theory]
    [MemberData(nameof(SeedExamples.CollectorTypes), MemberType = typeof(SeedExamples))]
    public void Example_reads_to_the_canonical_event_with_a_deterministic_id(string type)
    {
        var json = SeedExamples.Collector[type];

        var e = Read(json);

        Assert.Equal(type, e.Type);
        Assert.Equal("1.0", e.SpecVersion);
        Assert.Equal("tenant-123", e.TenantId);
        Assert.EndsWith("-service", e.Source, StringComparison.Ordinal);
        Assert.NotNull(e.Time);
        Assert.Equal(DeterministicId.From(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(System.Text.Json.JsonDocument.Parse(json).RootElement)), e.Id);
        Assert.Equal(e.Id, Read(json).Id);
        Assert.Equal("corr-123", e.CorrelationId);
        Assert.True(EventCatalog.TryReadPayload(e, out var payload, out var error), error?.ToString());
        Assert.Equal(EventCatalog.Definitions.Single(d => d.Type == type).PayloadType, payload.GetType());
    }

    [Fact]
    public void Offer_approved_keeps_string_money_and_quantities_as_decimals()
    {
        var e = Read(SeedExamples.Collector["offer.approved"]);
        var offer = EventCatalog.ReadPayload<OfferApproved>(e);

        Assert.Equal(new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.Zero), e.Time);
        Assert.Equal("offers-service", e.Source);
        Assert.Equal("OFF-2024-001", offer.OfferNumber);
        Assert.Equal("USD", offer.Currency);
        Assert.Equal(1500.00m, offer.GrandTotal);
        Assert.Equal(new DateTimeOffset(2024, 2, 15, 10, 30, 0, TimeSpan.Zero), offer.ValidUntil);
        var line = Assert.Single(offer.LineItems);
        Assert.Equal(("Product Name", 5m, 300.00m, 10m, 20m), (line.Description, line.Quantity, line.UnitPrice, line.DiscountPercent, line.TaxPercent));
    }

    [Fact]
    public void Order_created_reads_numeric_quantity_and_optional_warehouse()
    {
        var order = EventCatalog.ReadPayload<OrderCreated>(Read(SeedExamples.Collector["order.created"]));

        Assert.Equal("ORD-2024-001", order.OrderNumber);
        var line = Assert.Single(order.LineItems);
        Assert.Equal(("SKU-123", 5m, 300.00m, "uuid"), (line.Sku, line.Quantity, line.UnitPrice, line.WarehouseId));
    }

    [Fact]
    public void Invoice_issued_carries_every_amount()
    {
        var invoice = EventCatalog.ReadPayload<InvoiceIssued>(Read(SeedExamples.Collector["invoice.issued"]));

        Assert.Equal((1250.00m, 250.00m, 1500.00m), (invoice.Subtotal, invoice.TaxTotal, invoice.GrandTotal));
        Assert.Equal(new DateTimeOffset(2024, 2, 15, 14, 30, 0, TimeSpan.Zero), invoice.DueDate);
        var line = Assert.Single(invoice.LineItems);
        Assert.Equal((5m, 250.00m, 1250.00m), (line.Quantity, line.UnitPrice, line.Total));
    }

    [Fact]
    public void Stock_low_and_people_events_read_their_documented_values()
    {
        var low = EventCatalog.ReadPayload<StockLow>(Read(SeedExamples.Collector["stock.low"]));
        var task = EventCatalog.ReadPayload<TaskCompleted>(Read(SeedExamples.Collector["task.completed"]));
        var payroll = EventCatalog.ReadPayload<PayrollProcessed>(Read(SeedExamples.Collector["payroll.processed"]));
        var hired = EventCatalog.ReadPayload<EmployeeHired>(Read(SeedExamples.Collector["employee.hired"]));

        Assert.Equal((5m, 10m, 20m, "Main Warehouse"), (low.CurrentQuantity, low.MinimumThreshold, low.ReorderLevel, low.WarehouseName));
        Assert.Equal((8m, 10m), (task.EstimatedHours, task.ActualHours));
        Assert.Equal(("2024-01", 50000.00m, 25), (payroll.PayrollPeriod, payroll.TotalAmount, payroll.EmployeeCount));
        Assert.Equal(("EMP-001", "john.doe@company.com", "Engineering"), (hired.EmployeeNumber, hired.Email, hired.Department));
    }

    [Fact]
    public void Redelivered_copies_share_an_id_and_different_bodies_do_not()
    {
        var json = SeedExamples.Collector["order.created"];
        var reformatted = System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(json).RootElement,
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var other = json.Replace("ORD-2024-001", "ORD-2024-002", StringComparison.Ordinal);

        Assert.Equal(Read(json).Id, Read(reformatted).Id);
        Assert.NotEqual(Read(json).Id, Read(other).Id);
        Assert.Equal("amqp-message-7", Read(json, messageId: "amqp-message-7").Id);
    }
}
