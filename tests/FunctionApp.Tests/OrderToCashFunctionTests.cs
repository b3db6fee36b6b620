using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.FunctionApp.Accounting;
using EventProcessors.FunctionApp.Delivery;
using EventProcessors.FunctionApp.Invoicing;
using EventProcessors.FunctionApp.Orders;
using Microsoft.Extensions.DependencyInjection;
using static EventProcessors.FunctionApp.Tests.FunctionHost;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The order-to-cash functions chained as they run in Azure: each function's outbox message is the next
/// function's trigger message (what RouteOutbox republishes), and each asserts its own outputs.
/// </summary>
public sealed class OrderToCashFunctionTests : IDisposable
{
    private readonly ServiceProvider _services = Services();
    private readonly string _tenant = NewTenant();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Offer_to_ledger_through_the_functions_outputs()
    {
        var approved = await _services.Collect(() => _services.Function<CreateOrderFromOfferFunction>().RunAsync(CollectorEvents.OfferApproved(_tenant), Context()));
        var orderCreatedMessage = Assert.Single(approved.Outbox!);
        var order = Payload<OrderCreated>(orderCreatedMessage);

        var confirmedData = JsonNode.Parse($$"""
            {
              "orderId": "{{order.OrderId}}", "orderNumber": "{{order.OrderNumber}}", "customerId": "{{CollectorEvents.CustomerId}}",
              "shippingAddressId": "addr-1",
              "lineItems": [
                { "productId": "p-4711", "description": "Product Name", "quantity": 5, "unit": "pcs" },
                { "productId": "p-0815", "description": "Service", "quantity": 2, "unit": "h" }
              ]
            }
            """)!;
        var confirmed = CollectorEvents.Envelope(EventTypes.Collector.OrderConfirmed, _tenant, confirmedData, "2024-01-15T10:40:00.000Z");

        // CaptureOrder: order.confirmed, then the order.created from the outbox. Neither emits or writes.
        var capturedConfirmed = await _services.Collect(() => _services.Function<CaptureOrderFunction>().RunAsync(confirmed, Context()));
        var capturedCreated = await _services.Collect(() => _services.Function<CaptureOrderFunction>().RunAsync(orderCreatedMessage, Context()));
        Assert.All([capturedConfirmed, capturedCreated], o => Assert.Equal((null, null), (o.Outbox, o.DeadLetter)));

        // CreateDeliveryNote: the note and its lines, delivery.note.created to the outbox.
        var noted = await _services.Collect(() => _services.Function<CreateDeliveryNoteFunction>().RunAsync(confirmed, Context()));
        var note = Payload<DeliveryNoteCreated>(Assert.Single(noted.Outbox!));
        var noteRow = Assert.Single(noted.Output.DeliveryNotes!);
        Assert.Equal((note.DeliveryNoteId, order.OrderId, "addr-1"), (noteRow.DeliveryNoteId, noteRow.OrderId, noteRow.ShippingAddressId));
        Assert.Equal([(1, "p-4711", 5m), (2, "p-0815", 2m)], noted.Output.DeliveryNoteLines!.Select(l => (l.LineNumber, l.ProductId, l.Quantity)));

        // GenerateInvoice: delivery.confirmed -> invoice.issued, the invoice and its lines.
        var delivered = CollectorEvents.Envelope(EventTypes.Collector.DeliveryConfirmed, _tenant, JsonNode.Parse($$"""
            {
              "deliveryNoteId": "{{note.DeliveryNoteId}}", "deliveryNumber": "{{note.DeliveryNumber}}", "orderId": "{{order.OrderId}}",
              "customerId": "{{CollectorEvents.CustomerId}}", "proofOfDeliveryUrl": "https://pod.example/dn"
            }
            """)!, "2024-01-15T14:00:00.000Z");
        var invoiced = await _services.Collect(() => _services.Function<GenerateInvoiceFunction>().RunAsync(delivered, Context()));
        var invoiceIssuedMessage = Assert.Single(invoiced.Outbox!);
        var invoice = Payload<InvoiceIssued>(invoiceIssuedMessage);
        var invoiceRow = Assert.Single(invoiced.Output.Invoices!);
        Assert.Equal((invoice.InvoiceId, order.GrandTotal), (invoiceRow.InvoiceId, invoiceRow.GrandTotal));
        Assert.Equal(2, invoiced.Output.InvoiceLines!.Length);
        Assert.Equal(invoiceRow.Subtotal, invoiced.Output.InvoiceLines.Sum(l => l.NetAmount));

        // SyncInvoice: invoice.issued from the outbox -> balanced ledger entries, nothing emitted.
        var synced = await _services.Collect(() => _services.Function<SyncInvoiceFunction>().RunAsync(invoiceIssuedMessage, Context()));
        Assert.Null(synced.Outbox);
        Assert.Equal(3, synced.Output.LedgerEntries!.Length);
        Assert.Equal(synced.Output.LedgerEntries.Sum(e => e.Debit), synced.Output.LedgerEntries.Sum(e => e.Credit));
        Assert.All(synced.Output.LedgerEntries, e => Assert.Equal(invoice.InvoiceId, e.SourceId));
    }

    [Fact]
    public async Task RecordPayrollExpense_posts_balanced_expense_entries()
    {
        var payroll = CollectorEvents.Envelope(EventTypes.Collector.PayrollProcessed, _tenant, JsonNode.Parse("""
            {
              "payrollId": "9e8d7c6b-0000-4000-8000-000000000001", "payrollPeriod": "2024-01", "totalAmount": "50000.00",
              "currency": "USD", "employeeCount": 25, "processedAt": "2024-01-31T18:00:00.000Z"
            }
            """)!);

        var output = await _services.Collect(() => _services.Function<RecordPayrollExpenseFunction>().RunAsync(payroll, Context()));

        Assert.Null(output.Outbox);
        Assert.Null(output.DeadLetter);
        Assert.NotEmpty(output.Output.LedgerEntries!);
        Assert.Equal(50000.00m, output.Output.LedgerEntries!.Sum(e => e.Debit));
        Assert.Equal(50000.00m, output.Output.LedgerEntries!.Sum(e => e.Credit));
    }

    private static T Payload<T>(string outboxMessage) =>
        JsonSerializer.Deserialize<CloudEvent>(outboxMessage, ContractJson.Options)!.DataAs<T>()!;
}
