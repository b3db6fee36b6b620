using System.Globalization;
using System.Text;
using System.Text.Json;
using EventProcessors.Contracts.Payloads.Collector;

namespace EventProcessors.Contracts.Tests;

/// <summary>
/// Every Collector example of seed 003 reads to the complete canonical event and the complete payload record.
/// The expected values are the seed's own ("uuid" placeholders included); records holding lists are compared
/// with the list swapped in and the list compared on its own, because record equality compares lists by reference.
/// </summary>
public sealed class CollectorSeedExampleTests
{
    private static readonly EnvelopeReader Reader = new();

    private static CloudEvent Read(string json, string? messageId = null)
    {
        var result = Reader.Read(new InboundMessage(Encoding.UTF8.GetBytes(json), MessageId: messageId));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    /// <summary>Reads seed 003's example of <paramref name="type"/> and checks the whole envelope against the seed's values.</summary>
    private static CloudEvent ReadSeed(string type, string time, string source)
    {
        var json = SeedExamples.Collector[type];
        var e = Read(json);
        Assert.Equal(new CloudEvent
        {
            // Collector events carry no id: the name-based id over the compact body stands in.
            Id = ExpectedIds.NameBased(ExpectedIds.Compact(json)),
            Type = type,
            Source = source,
            Time = At(time),
            TenantId = "tenant-123",
            CorrelationId = "corr-123",
            Data = e.Data,
        }, e);
        Assert.Equal(("1.0", "application/json"), (e.SpecVersion, e.DataContentType));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(json).RootElement.GetProperty("data"), e.Data!.Value), $"{type}: data changed on the way");
        return e;
    }

    [Fact]
    public void The_seed_document_has_all_eleven_schemas()
    {
        Assert.Equal(
            ["offer.approved", "order.created", "order.confirmed", "delivery.dispatched", "delivery.confirmed", "invoice.issued",
             "invoice.paid", "stock.low", "task.completed", "employee.hired", "payroll.processed"],
            SeedExamples.Collector.Keys);
    }

    [Fact]
    public void Offer_approved_keeps_string_money_and_quantities_as_decimals()
    {
        var p = EventCatalog.ReadPayload<OfferApproved>(ReadSeed("offer.approved", "2024-01-15T10:30:00.000Z", "offers-service"));

        Assert.Equal(new OfferApproved
        {
            OfferId = "uuid", OfferNumber = "OFF-2024-001", CustomerId = "uuid", ValidUntil = At("2024-02-15T10:30:00.000Z"),
            Currency = "USD", GrandTotal = 1500.00m, LineItems = p.LineItems,
        }, p);
        Assert.Equal([new OfferLineItem
        {
            ProductId = "uuid", Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m, DiscountPercent = 10m, TaxPercent = 20m,
        }], p.LineItems);
    }

    [Fact]
    public void Order_created_reads_numeric_quantity_and_optional_warehouse()
    {
        var p = EventCatalog.ReadPayload<OrderCreated>(ReadSeed("order.created", "2024-01-15T10:35:00.000Z", "orders-service"));

        Assert.Equal(new OrderCreated
        {
            OrderId = "uuid", OrderNumber = "ORD-2024-001", CustomerId = "uuid", OfferId = "uuid",
            LineItems = p.LineItems, Currency = "USD", GrandTotal = 1500.00m,
        }, p);
        Assert.Equal([new OrderLineItem
        {
            ProductId = "uuid", Sku = "SKU-123", Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m, WarehouseId = "uuid",
        }], p.LineItems);
    }

    [Fact]
    public void Order_confirmed()
    {
        var p = EventCatalog.ReadPayload<OrderConfirmed>(ReadSeed("order.confirmed", "2024-01-15T10:40:00.000Z", "orders-service"));

        Assert.Equal(new OrderConfirmed
        {
            OrderId = "uuid", OrderNumber = "ORD-2024-001", CustomerId = "uuid", ShippingAddressId = "uuid", LineItems = p.LineItems,
        }, p);
        Assert.Equal([new ConfirmedOrderLineItem { ProductId = "uuid", Description = "Product Name", Quantity = 5m, Unit = "pcs" }], p.LineItems);
    }

    [Fact]
    public void Delivery_dispatched()
    {
        var p = EventCatalog.ReadPayload<DeliveryDispatched>(ReadSeed("delivery.dispatched", "2024-01-15T11:00:00.000Z", "delivery-service"));

        Assert.Equal(new DeliveryDispatched
        {
            DeliveryNoteId = "uuid", DeliveryNumber = "DN-2024-001", OrderId = "uuid", Items = p.Items, TrackingNumber = "TRACK123", CarrierId = "uuid",
        }, p);
        Assert.Equal([new DispatchedItem { ProductId = "uuid", Quantity = 5m, WarehouseId = "uuid" }], p.Items);
    }

    [Fact]
    public void Delivery_confirmed()
    {
        var e = ReadSeed("delivery.confirmed", "2024-01-15T14:00:00.000Z", "delivery-service");

        Assert.Equal(new DeliveryConfirmed
        {
            DeliveryNoteId = "uuid", DeliveryNumber = "DN-2024-001", OrderId = "uuid", CustomerId = "uuid", ProofOfDeliveryUrl = "https://...",
        }, EventCatalog.ReadPayload<DeliveryConfirmed>(e));
    }

    [Fact]
    public void Invoice_issued_carries_every_amount()
    {
        var p = EventCatalog.ReadPayload<InvoiceIssued>(ReadSeed("invoice.issued", "2024-01-15T14:30:00.000Z", "invoices-service"));

        Assert.Equal(new InvoiceIssued
        {
            InvoiceId = "uuid", InvoiceNumber = "INV-2024-001", CustomerId = "uuid", OrderId = "uuid", DeliveryNoteId = "uuid", Currency = "USD",
            Subtotal = 1250.00m, TaxTotal = 250.00m, GrandTotal = 1500.00m, DueDate = At("2024-02-15T14:30:00.000Z"), LineItems = p.LineItems,
        }, p);
        Assert.Equal([new InvoiceLineItem { Description = "Product Name", Quantity = 5m, UnitPrice = 250.00m, Total = 1250.00m }], p.LineItems);
    }

    [Fact]
    public void Invoice_paid()
    {
        var e = ReadSeed("invoice.paid", "2024-01-16T10:00:00.000Z", "payment-service");

        Assert.Equal(new InvoicePaid
        {
            InvoiceId = "uuid", InvoiceNumber = "INV-2024-001", CustomerId = "uuid", Amount = 1500.00m, PaymentMethod = "STRIPE",
            PaymentDate = At("2024-01-16T10:00:00.000Z"), Currency = "USD",
        }, EventCatalog.ReadPayload<InvoicePaid>(e));
    }

    [Fact]
    public void Stock_low()
    {
        var e = ReadSeed("stock.low", "2024-01-15T09:00:00.000Z", "inventory-service");

        Assert.Equal(new StockLow
        {
            ProductId = "uuid", ProductName = "Product Name", Sku = "SKU-123", WarehouseId = "uuid", WarehouseName = "Main Warehouse",
            CurrentQuantity = 5m, MinimumThreshold = 10m, ReorderLevel = 20m,
        }, EventCatalog.ReadPayload<StockLow>(e));
    }

    [Fact]
    public void Task_completed()
    {
        var e = ReadSeed("task.completed", "2024-01-15T17:00:00.000Z", "project-management-service");

        Assert.Equal(new TaskCompleted
        {
            TaskId = "uuid", TaskName = "Implement Feature X", ProjectId = "uuid", ProjectName = "Project Alpha", AssignedResourceId = "uuid",
            EstimatedHours = 8m, ActualHours = 10m, CompletedAt = At("2024-01-15T17:00:00.000Z"),
        }, EventCatalog.ReadPayload<TaskCompleted>(e));
    }

    [Fact]
    public void Employee_hired()
    {
        var e = ReadSeed("employee.hired", "2024-01-15T08:00:00.000Z", "hr-service");

        Assert.Equal(new EmployeeHired
        {
            EmployeeId = "uuid", EmployeeNumber = "EMP-001", FirstName = "John", LastName = "Doe", Email = "john.doe@company.com",
            Position = "Software Engineer", Department = "Engineering", HireDate = At("2024-01-15T08:00:00.000Z"),
        }, EventCatalog.ReadPayload<EmployeeHired>(e));
    }

    [Fact]
    public void Payroll_processed()
    {
        var e = ReadSeed("payroll.processed", "2024-01-31T18:00:00.000Z", "hr-service");

        Assert.Equal(new PayrollProcessed
        {
            PayrollId = "uuid", PayrollPeriod = "2024-01", TotalAmount = 50000.00m, Currency = "USD", EmployeeCount = 25,
            ProcessedAt = At("2024-01-31T18:00:00.000Z"),
        }, EventCatalog.ReadPayload<PayrollProcessed>(e));
    }

    [Fact]
    public void Fields_the_seed_marks_optional_may_be_left_out()
    {
        // offer.approved without every field seed 003 marks with '?': correlationId, productId, discountPercent, taxPercent.
        var e = Read("""
            {"type":"offer.approved","timestamp":"2024-01-15T10:30:00.000Z","tenantId":"tenant-123","source":"offers-service",
             "data":{"offerId":"uuid","offerNumber":"OFF-2024-001","customerId":"uuid","validUntil":"2024-02-15T10:30:00.000Z",
                     "currency":"USD","grandTotal":"1500.00","lineItems":[{"description":"Product Name","quantity":"5","unitPrice":"300.00"}]}}
            """);

        Assert.Null(e.CorrelationId);
        var line = Assert.Single(EventCatalog.ReadPayload<OfferApproved>(e).LineItems);
        Assert.Equal(new OfferLineItem { Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m }, line);
    }

    [Theory]
    [MemberData(nameof(SeedExamples.CollectorTypes), MemberType = typeof(SeedExamples))]
    public void Every_example_survives_a_structured_round_trip_with_its_id(string type)
    {
        // Republished in canonical form (RouteOutbox, dead-letter replay), the event keeps every attribute and its id.
        var e = Read(SeedExamples.Collector[type]);
        var again = Reader.Read(new InboundMessage(e.ToJsonBytes(), ContentType: CloudEvent.JsonContentType)).GetValueOrThrow();

        Assert.Equal(e, again with { Data = e.Data });
        Assert.True(JsonElement.DeepEquals(e.Data!.Value, again.Data!.Value));
    }

    // ---- ids of id-less events ----------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(SeedExamples.CollectorTypes), MemberType = typeof(SeedExamples))]
    public void Every_example_gets_the_name_based_id_of_its_compact_body_or_the_amqp_message_id(string type)
    {
        var json = SeedExamples.Collector[type];

        Assert.Equal(ExpectedIds.NameBased(ExpectedIds.Compact(json)), Read(json).Id);
        Assert.Equal("amqp-message-7", Read(json, messageId: "amqp-message-7").Id);
    }

    [Fact]
    public void The_expected_id_is_an_rfc_9562_version_8_uuid()
    {
        // Pins the layout the expected ids rely on: version nibble 8, variant bits 10.
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
            Read(SeedExamples.Collector["order.created"]).Id);
    }

    [Fact]
    public void Whitespace_only_differences_give_the_same_id()
    {
        var json = SeedExamples.Collector["order.created"];
        var compact = ExpectedIds.Compact(json);
        var indented = JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, new JsonSerializerOptions { WriteIndented = true });
        var crlf = json.Replace("\n", "\r\n\t ", StringComparison.Ordinal);

        var id = Read(json).Id;
        Assert.NotEqual(json, compact);
        Assert.Equal(id, Read(compact).Id);
        Assert.Equal(id, Read(indented).Id);
        Assert.Equal(id, Read(crlf).Id);
    }

    [Theory]
    [InlineData("\"ORD-2024-001\"", "\"ORD-2024-002\"")] // a string value
    [InlineData("quantity\": 5", "quantity\": 6")] // a number
    [InlineData("quantity\": 5", "quantity\": 5.0")] // the same amount written differently is another body
    [InlineData("quantity\": 5", "quantity\": \"5\"")] // a number sent as a string
    [InlineData("\"tenant-123\"", "\"tenant-124\"")] // an envelope attribute
    [InlineData("10:35:00.000Z", "10:35:00.001Z")] // the timestamp
    [InlineData("\"Product Name\"", "\"Product  Name\"")] // whitespace inside a string is a value
    public void Any_value_change_gives_another_id(string from, string to)
    {
        var json = SeedExamples.Collector["order.created"];
        var changed = json.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(json, changed);

        Assert.NotEqual(Read(json).Id, Read(changed).Id);
        Assert.Equal(ExpectedIds.NameBased(ExpectedIds.Compact(changed)), Read(changed).Id);
    }

    [Fact]
    public void An_empty_message_id_falls_back_to_the_hash()
    {
        var json = SeedExamples.Collector["stock.low"];
        Assert.Equal(ExpectedIds.NameBased(ExpectedIds.Compact(json)), Read(json, messageId: "").Id);
    }

    [Fact]
    public void An_id_in_the_body_wins_over_the_message_id_and_the_hash()
    {
        var json = SeedExamples.Collector["stock.low"].Replace("\"type\":", "\"id\": \"evt-stock-1\", \"type\":", StringComparison.Ordinal);
        Assert.Equal("evt-stock-1", Read(json, messageId: "amqp-message-7").Id);
    }
}
