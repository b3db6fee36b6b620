using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Accounting;
using EventProcessors.FunctionApp.Crm;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.FunctionApp.Invoicing;
using EventProcessors.FunctionApp.Orders;
using Microsoft.Extensions.DependencyInjection;
using static EventProcessors.FunctionApp.Tests.FunctionHost;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>Collector functions (RabbitMQ trigger) invoked directly, as the worker would.</summary>
public sealed class CollectorFunctionTests : IDisposable
{
    private readonly Microsoft.Extensions.DependencyInjection.ServiceProvider _services = Services();
    private readonly string _tenant = NewTenant();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task CreateOrderFromOffer_writes_order_created_to_the_outbox_and_the_order_rows_to_sql()
    {
        var function = _services.Function<CreateOrderFromOfferFunction>();

        var output = await function.RunAsync(CollectorEvents.OfferApproved(_tenant), Context(RabbitMQBindingData(messageId: null)));

        var outbox = Assert.Single(output.Outbox!);
        var created = JsonSerializer.Deserialize<CloudEvent>(outbox, ContractJson.Options)!;
        Assert.Equal(EventTypes.Collector.OrderCreated, created.Type);
        Assert.Equal(_tenant, created.TenantId);
        Assert.Equal("corr-123", created.CorrelationId);
        Assert.Equal("/event-processors/orders.create-from-offer", created.Source);
        Assert.Null(output.DeadLetter);
        var order = Assert.Single(output.Orders!);
        Assert.Equal(created.PartitionKey, order.OrderId);
        Assert.Equal(_tenant, order.TenantId);
        Assert.Equal("OFF-2024-001", order.OfferNumber);
        Assert.Equal(1350.00m + 200.00m, order.Subtotal);
        Assert.Equal(2, output.OrderLines!.Length);
        Assert.All(output.OrderLines, line => Assert.Equal(order.OrderId, line.OrderId));
    }

    [Fact]
    public async Task A_duplicate_delivery_replays_exactly_the_same_outputs()
    {
        var function = _services.Function<CreateOrderFromOfferFunction>();
        var message = CollectorEvents.OfferApproved(_tenant);

        var first = await function.RunAsync(message, Context(RabbitMQBindingData(messageId: null)));
        var again = await _services.Function<CreateOrderFromOfferFunction>().RunAsync(message, Context(RabbitMQBindingData(messageId: null)));

        Assert.NotNull(first.Outbox);
        Assert.Equal(Snapshot(first), Snapshot(again));
    }

    [Fact]
    public async Task The_AMQP_message_id_is_the_event_id_of_an_id_less_Collector_message()
    {
        var function = _services.Function<CreateOrderFromOfferFunction>();
        var message = CollectorEvents.OfferApproved(_tenant);

        var output = await function.RunAsync(message, Context(RabbitMQBindingData("msg-0001")));

        var followOn = JsonSerializer.Deserialize<CloudEvent>(Assert.Single(output.Outbox!), ContractJson.Options)!;
        Assert.Equal("msg-0001", followOn.CausationId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not json")]
    [InlineData(42)]
    public async Task Unreadable_basic_properties_fall_back_to_the_body_hash_id(object? properties)
    {
        var data = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["BasicProperties"] = properties };
        var message = CollectorEvents.OfferApproved(_tenant);

        var first = await _services.Function<CreateOrderFromOfferFunction>().RunAsync(message, Context(data));
        var again = await _services.Function<CreateOrderFromOfferFunction>().RunAsync(message, Context());

        Assert.Equal(Snapshot(first), Snapshot(again));
    }

    [Fact]
    public async Task A_message_that_can_never_succeed_goes_to_the_queue_dead_letter_and_is_acknowledged()
    {
        var output = await _services.Function<CreateOrderFromOfferFunction>().RunAsync("{ not json", Context());

        Assert.Null(output.Outbox);
        Assert.Null(output.Orders);
        Assert.Null(output.OrderLines);
        var deadLetter = Json(output.DeadLetter!);
        Assert.Equal("UnreadableJson", (string?)deadLetter["reason"]!["code"]);
        Assert.False(string.IsNullOrEmpty((string?)deadLetter["reason"]!["message"]));
        Assert.Equal("CreateOrderFromOffer", (string?)deadLetter["consumer"]);
        Assert.Equal("orders.create-from-offer", (string?)deadLetter["queue"]);
        Assert.Equal("{ not json", (string?)deadLetter["originalBody"]);
        Assert.NotNull(deadLetter["receivedAt"]);
    }

    [Fact]
    public async Task A_type_the_queue_does_not_consume_is_dead_lettered_with_its_path()
    {
        var output = await _services.Function<CreateOrderFromOfferFunction>().RunAsync(CollectorEvents.InvoicePaid(_tenant), Context());

        var deadLetter = Json(output.DeadLetter!);
        Assert.Equal("UnknownType", (string?)deadLetter["reason"]!["code"]);
        Assert.Equal("$.type", (string?)deadLetter["reason"]!["path"]);
    }

    [Fact]
    public async Task A_transient_failure_waits_longer_on_each_redelivery_then_throws_so_the_trigger_redelivers()
    {
        // delivery.confirmed before CaptureOrder kept the order's snapshot: GenerateInvoice must wait.
        var timers = new ImmediateTimers();
        using var services = Services(s => s.AddSingleton<TimeProvider>(timers));
        var (first, fourth, fifth) = (Requeued(null), Requeued(3), Requeued(4));

        var thrown = await Assert.ThrowsAsync<RetryableFunctionException>(() =>
            services.Function<GenerateInvoiceFunction>().RunAsync(CollectorEvents.DeliveryConfirmed(_tenant), Context(first)));
        foreach (var data in new[] { fourth, fifth })
            await Assert.ThrowsAsync<RetryableFunctionException>(() => services.Function<GenerateInvoiceFunction>().RunAsync(CollectorEvents.DeliveryConfirmed(_tenant), Context(data)));

        Assert.Contains("GenerateInvoice", thrown.Message);
        Assert.Equal(3, timers.Delays.Count);
        Assert.InRange(timers.Delays[0], TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2.4)); // 2 s ± 20 %
        Assert.InRange(timers.Delays[1], TimeSpan.FromSeconds(12.8), TimeSpan.FromSeconds(19.2)); // 2 s x 2^3 ± 20 %
        Assert.InRange(timers.Delays[2], TimeSpan.FromSeconds(25.6), TimeSpan.FromSeconds(30)); // 32 s, capped at 30 s
    }

    /// <summary>Binding data of a delivery the trigger has republished <paramref name="requeues"/> times (its header as the host serializes it).</summary>
    private static Dictionary<string, object?> Requeued(int? requeues)
    {
        var data = RabbitMQBindingData(messageId: null);
        if (requeues is { } count)
            data["BasicProperties"] = JsonSerializer.Serialize(new { ContentType = "application/json", Headers = new Dictionary<string, object> { [FunctionRunner.RequeueCountHeader] = count } });
        return data;
    }

    [Fact]
    public async Task RecordPayment_writes_the_payment_row_and_nothing_to_the_outbox()
    {
        // The payment settles against the receivable SyncInvoice posts from invoice.issued.
        await _services.Function<SyncInvoiceFunction>().RunAsync(CollectorEvents.InvoiceIssued(_tenant), Context());
        var output = await _services.Function<RecordPaymentFunction>().RunAsync(CollectorEvents.InvoicePaid(_tenant), Context());

        Assert.Null(output.Outbox);
        Assert.Null(output.DeadLetter);
        var payment = Assert.Single(output.Payments!);
        Assert.Equal((1500.00m, 1500.00m, 0m), (payment.Amount, payment.AppliedAmount, payment.OutstandingAmount));
        Assert.Equal(_tenant, payment.TenantId);
    }

    [Fact]
    public async Task CaptureOrder_keeps_its_snapshot_and_emits_nothing()
    {
        var order = CollectorEvents.Envelope("order.created", _tenant, System.Text.Json.Nodes.JsonNode.Parse($$"""
            {
              "orderId": "{{CollectorEvents.OrderId}}", "orderNumber": "ORD-2024-001", "customerId": "{{CollectorEvents.CustomerId}}",
              "offerId": "{{CollectorEvents.OfferId}}", "currency": "USD", "grandTotal": "1620.00",
              "lineItems": [ { "productId": "p-4711", "sku": "SKU-123", "description": "Product Name", "quantity": 5, "unitPrice": "300.00", "warehouseId": "wh-1", "discountPercent": "10", "taxPercent": "20" } ]
            }
            """)!);

        var output = await _services.Function<CaptureOrderFunction>().RunAsync(order, Context());

        Assert.Null(output.Outbox);
        Assert.Null(output.DeadLetter);
    }
}
