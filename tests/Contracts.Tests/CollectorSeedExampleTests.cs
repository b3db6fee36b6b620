using System.Text.Json;
using System.Text.RegularExpressions;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.TestSupport;
using static EventProcessors.Contracts.Tests.TestData;

namespace EventProcessors.Contracts.Tests;

/// <summary>
/// The eleven Collector schemas of seed 003. Each example file is the document's example with the
/// TypeScript notation turned into JSON (keys quoted, the optional marker <c>?</c> dropped) and every
/// value kept, "uuid" placeholders included. A Collector event has no id, so each gets the hash of its
/// body; the expected ids were computed independently (Python: sorted keys, compact JSON, SHA-256) and
/// are pinned because a changed id function would break deduplication of redeliveries across a deploy.
/// </summary>
public sealed partial class CollectorSeedExampleTests
{
    [GeneratedRegex(@"### \d+\. ([\w.]+)\n.*?```typescript\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex SchemaBlock();

    [GeneratedRegex(@"^(\s*)(\w+)\??:", RegexOptions.Multiline)]
    private static partial Regex TypeScriptKey();

    [Fact]
    public void Every_example_file_holds_exactly_the_values_of_its_seed_schema()
    {
        var blocks = SchemaBlock().Matches(SeedDocuments.Read("003_"));
        Assert.Equal(11, blocks.Count);
        foreach (Match block in blocks)
        {
            var fromSeed = JsonDocument.Parse(TypeScriptKey().Replace(block.Groups[2].Value, "$1\"$2\":")).RootElement;
            var fromFile = JsonDocument.Parse(Example($"Collector/{block.Groups[1].Value}.json")).RootElement;
            Assert.True(JsonElement.DeepEquals(fromSeed, fromFile), $"{block.Groups[1].Value}.json differs from seed 003");
        }
    }

    private static CloudEvent Read(string type) => ReadEvent(Example($"Collector/{type}.json"));

    private static CloudEvent Expected(CloudEvent actual, string id, string type, string time, string source) => new()
    {
        Id = id,
        Type = type,
        Source = source,
        Time = At(time),
        TenantId = "tenant-123",
        CorrelationId = "corr-123",
        DataContentType = "application/json",
        Data = actual.Data,
    };

    [Fact]
    public void Offer_approved()
    {
        var e = Read("offer.approved");
        Assert.Equal(Expected(e, "c8b6358b5f96c95d543c3fefe62f92c2", "offer.approved", "2024-01-15T10:30:00.000Z", "offers-service"), e);

        var p = Payload<OfferApproved>(e);
        Assert.Equal(new OfferApproved
        {
            OfferId = "uuid", OfferNumber = "OFF-2024-001", CustomerId = "uuid",
            ValidUntil = At("2024-02-15T10:30:00.000Z"), Currency = "USD", GrandTotal = 1500.00m,
            LineItems = p.LineItems,
        }, p);
        Assert.Equal([new OfferLineItem
        {
            ProductId = "uuid", Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m,
            DiscountPercent = 10m, TaxPercent = 20m,
        }], p.LineItems);
    }

    [Fact]
    public void Order_created()
    {
        var e = Read("order.created");
        Assert.Equal(Expected(e, "3f9e19e06be7f23b2816149e3a717e7b", "order.created", "2024-01-15T10:35:00.000Z", "orders-service"), e);

        var p = Payload<OrderCreated>(e);
        Assert.Equal(new OrderCreated
        {
            OrderId = "uuid", OrderNumber = "ORD-2024-001", CustomerId = "uuid", OfferId = "uuid",
            LineItems = p.LineItems, Currency = "USD", GrandTotal = 1500.00m,
        }, p);
        Assert.Equal([new OrderLineItem
        {
            ProductId = "uuid", Sku = "SKU-123", Description = "Product Name", Quantity = 5m,
            UnitPrice = 300.00m, WarehouseId = "uuid",
        }], p.LineItems);
    }

    [Fact]
    public void Order_confirmed()
    {
        var e = Read("order.confirmed");
        Assert.Equal(Expected(e, "e70928f8337dd55ce1782c357d657f81", "order.confirmed", "2024-01-15T10:40:00.000Z", "orders-service"), e);

        var p = Payload<OrderConfirmed>(e);
        Assert.Equal(new OrderConfirmed
        {
            OrderId = "uuid", OrderNumber = "ORD-2024-001", CustomerId = "uuid", ShippingAddressId = "uuid",
            LineItems = p.LineItems,
        }, p);
        Assert.Equal([new ConfirmedOrderLineItem { ProductId = "uuid", Description = "Product Name", Quantity = 5m, Unit = "pcs" }],
            p.LineItems);
    }

    [Fact]
    public void Delivery_dispatched()
    {
        var e = Read("delivery.dispatched");
        Assert.Equal(Expected(e, "68899e1c23b71e647f6ced2c998cef8f", "delivery.dispatched", "2024-01-15T11:00:00.000Z", "delivery-service"), e);

        var p = Payload<DeliveryDispatched>(e);
        Assert.Equal(new DeliveryDispatched
        {
            DeliveryNoteId = "uuid", DeliveryNumber = "DN-2024-001", OrderId = "uuid", Items = p.Items,
            TrackingNumber = "TRACK123", CarrierId = "uuid",
        }, p);
        Assert.Equal([new DispatchedItem { ProductId = "uuid", Quantity = 5m, WarehouseId = "uuid" }], p.Items);
    }

    [Fact]
    public void Delivery_confirmed()
    {
        var e = Read("delivery.confirmed");
        Assert.Equal(Expected(e, "159509381aa3c9b9b5cf09acc36d787b", "delivery.confirmed", "2024-01-15T14:00:00.000Z", "delivery-service"), e);

        Assert.Equal(new DeliveryConfirmed
        {
            DeliveryNoteId = "uuid", DeliveryNumber = "DN-2024-001", OrderId = "uuid", CustomerId = "uuid",
            ProofOfDeliveryUrl = "https://...",
        }, Payload<DeliveryConfirmed>(e));
    }

    [Fact]
    public void Invoice_issued()
    {
        var e = Read("invoice.issued");
        Assert.Equal(Expected(e, "b58a04f33fd21e63321981912e4a8f73", "invoice.issued", "2024-01-15T14:30:00.000Z", "invoices-service"), e);

        var p = Payload<InvoiceIssued>(e);
        Assert.Equal(new InvoiceIssued
        {
            InvoiceId = "uuid", InvoiceNumber = "INV-2024-001", CustomerId = "uuid", OrderId = "uuid",
            DeliveryNoteId = "uuid", Currency = "USD", Subtotal = 1250.00m, TaxTotal = 250.00m,
            GrandTotal = 1500.00m, DueDate = At("2024-02-15T14:30:00.000Z"), LineItems = p.LineItems,
        }, p);
        Assert.Equal([new InvoiceLineItem { Description = "Product Name", Quantity = 5m, UnitPrice = 250.00m, Total = 1250.00m }],
            p.LineItems);
    }

    [Fact]
    public void Invoice_paid()
    {
        var e = Read("invoice.paid");
        Assert.Equal(Expected(e, "2a794862340707bacfbc19b77ffd3b14", "invoice.paid", "2024-01-16T10:00:00.000Z", "payment-service"), e);

        Assert.Equal(new InvoicePaid
        {
            InvoiceId = "uuid", InvoiceNumber = "INV-2024-001", CustomerId = "uuid", Amount = 1500.00m,
            PaymentMethod = "STRIPE", PaymentDate = At("2024-01-16T10:00:00.000Z"), Currency = "USD",
        }, Payload<InvoicePaid>(e));
    }

    [Fact]
    public void Stock_low()
    {
        var e = Read("stock.low");
        Assert.Equal(Expected(e, "41f7b22d500b106bccbbd5bb6a10f07d", "stock.low", "2024-01-15T09:00:00.000Z", "inventory-service"), e);

        Assert.Equal(new StockLow
        {
            ProductId = "uuid", ProductName = "Product Name", Sku = "SKU-123", WarehouseId = "uuid",
            WarehouseName = "Main Warehouse", CurrentQuantity = 5m, MinimumThreshold = 10m, ReorderLevel = 20m,
        }, Payload<StockLow>(e));
    }

    [Fact]
    public void Task_completed()
    {
        var e = Read("task.completed");
        Assert.Equal(Expected(e, "769660a674e0e5666e0efa0c32b65556", "task.completed", "2024-01-15T17:00:00.000Z", "project-management-service"), e);

        Assert.Equal(new TaskCompleted
        {
            TaskId = "uuid", TaskName = "Implement Feature X", ProjectId = "uuid", ProjectName = "Project Alpha",
            AssignedResourceId = "uuid", EstimatedHours = 8m, ActualHours = 10m,
            CompletedAt = At("2024-01-15T17:00:00.000Z"),
        }, Payload<TaskCompleted>(e));
    }

    [Fact]
    public void Employee_hired()
    {
        var e = Read("employee.hired");
        Assert.Equal(Expected(e, "ab823dd3a8ded909d99dc249bc429842", "employee.hired", "2024-01-15T08:00:00.000Z", "hr-service"), e);

        Assert.Equal(new EmployeeHired
        {
            EmployeeId = "uuid", EmployeeNumber = "EMP-001", FirstName = "John", LastName = "Doe",
            Email = "john.doe@company.com", Position = "Software Engineer", Department = "Engineering",
            HireDate = At("2024-01-15T08:00:00.000Z"),
        }, Payload<EmployeeHired>(e));
    }

    [Fact]
    public void Payroll_processed()
    {
        var e = Read("payroll.processed");
        Assert.Equal(Expected(e, "2311dfaa400959f39ac7d24e9f17dd1c", "payroll.processed", "2024-01-31T18:00:00.000Z", "hr-service"), e);

        Assert.Equal(new PayrollProcessed
        {
            PayrollId = "uuid", PayrollPeriod = "2024-01", TotalAmount = 50000.00m, Currency = "USD",
            EmployeeCount = 25, ProcessedAt = At("2024-01-31T18:00:00.000Z"),
        }, Payload<PayrollProcessed>(e));
    }

    [Fact]
    public void Optional_fields_of_the_schemas_may_be_left_out()
    {
        // offer.approved with every field marked '?' in seed 003 removed: correlationId, productId,
        // discountPercent, taxPercent.
        var e = ReadEvent(Utf8("""
            {"type":"offer.approved","timestamp":"2024-01-15T10:30:00.000Z","tenantId":"tenant-123","source":"offers-service",
             "data":{"offerId":"uuid","offerNumber":"OFF-2024-001","customerId":"uuid","validUntil":"2024-02-15T10:30:00.000Z",
                     "currency":"USD","grandTotal":"1500.00",
                     "lineItems":[{"description":"Product Name","quantity":"5","unitPrice":"300.00"}]}}
            """));
        Assert.Null(e.CorrelationId);
        var line = Assert.Single(Payload<OfferApproved>(e).LineItems);
        Assert.Equal(new OfferLineItem { Description = "Product Name", Quantity = 5m, UnitPrice = 300.00m }, line);
    }
}
