using EventProcessors.Processing.Pipeline;
using System.Text;
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

        var output = await _services.Collect(() => function.RunAsync(CollectorEvents.OfferApproved(_tenant), Context(RabbitMQBindingData(messageId: null))));

        var outbox = Assert.Single(output.Outbox!);
        var created = JsonSerializer.Deserialize<CloudEvent>(outbox, ContractJson.Options)!;
        Assert.Equal(EventTypes.Collector.OrderCreated, created.Type);
        Assert.Equal(_tenant, created.TenantId);
        Assert.Equal("corr-123", created.CorrelationId);
        Assert.Equal("/event-processors/orders.create-from-offer", created.Source);
        Assert.Null(output.DeadLetter);
        var order = Assert.Single(output.Output.Orders!);
        Assert.Equal(created.PartitionKey, order.OrderId);
        Assert.Equal(_tenant, order.TenantId);
        Assert.Equal("OFF-2024-001", order.OfferNumber);
        Assert.Equal(1350.00m + 200.00m, order.Subtotal);
        Assert.Equal(2, output.Output.OrderLines!.Length);
        Assert.All(output.Output.OrderLines, line => Assert.Equal(order.OrderId, line.OrderId));
    }

    [Fact]
    public async Task A_duplicate_delivery_hands_over_the_same_rows_and_publishes_nothing_once_its_follow_ons_were_confirmed()
    {
        var function = _services.Function<CreateOrderFromOfferFunction>();
        var message = CollectorEvents.OfferApproved(_tenant);

        var first = await _services.Collect(() => function.RunAsync(message, Context(RabbitMQBindingData(messageId: null))));
        var again = await _services.Collect(() => _services.Function<CreateOrderFromOfferFunction>().RunAsync(message, Context(RabbitMQBindingData(messageId: null))));

        Assert.NotNull(first.Outbox);
        Assert.Null(again.Outbox);
        Assert.NotNull(first.Output.Orders);
        Assert.Equal(Snapshot(first.Output), Snapshot(again.Output));
    }

    [Fact]
    public async Task The_AMQP_message_id_is_the_event_id_of_an_id_less_Collector_message()
    {
        var function = _services.Function<CreateOrderFromOfferFunction>();
        var message = CollectorEvents.OfferApproved(_tenant);

        var output = await _services.Collect(() => function.RunAsync(message, Context(RabbitMQBindingData("msg-0001"))));

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

        var first = await _services.Collect(() => _services.Function<CreateOrderFromOfferFunction>().RunAsync(message, Context(data)));
        var again = await _services.Collect(() => _services.Function<CreateOrderFromOfferFunction>().RunAsync(message, Context()));

        // The same id both times: the second is a duplicate of the first (its follow-on already confirmed).
        Assert.NotNull(first.Outbox);
        Assert.Null(again.Outbox);
        Assert.Equal(Snapshot(first.Output), Snapshot(again.Output));
    }

    [Fact]
    public async Task A_message_that_can_never_succeed_goes_to_the_queue_dead_letter_and_is_acknowledged()
    {
        var output = await _services.Collect(() => _services.Function<CreateOrderFromOfferFunction>().RunAsync("{ not json", Context()));

        Assert.Null(output.Outbox);
        Assert.Null(output.Output.Orders);
        Assert.Null(output.Output.OrderLines);
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
        var output = await _services.Collect(() => _services.Function<CreateOrderFromOfferFunction>().RunAsync(CollectorEvents.InvoicePaid(_tenant), Context()));

        var deadLetter = Json(output.DeadLetter!);
        Assert.Equal("UnknownType", (string?)deadLetter["reason"]!["code"]);
        Assert.Equal("$.type", (string?)deadLetter["reason"]!["path"]);
    }

    [Fact]
    public async Task A_transient_failure_parks_a_copy_in_the_retry_queue_with_a_growing_TTL_and_dead_letters_after_the_last_attempt()
    {
        // delivery.confirmed before CaptureOrder kept the order's snapshot: GenerateInvoice cannot invoice yet.
        var message = CollectorEvents.DeliveryConfirmed(_tenant);

        var first = await _services.Collect(() => _services.Function<GenerateInvoiceFunction>().RunAsync(message, Context(Attempted(null))));
        var fourth = await _services.Collect(() => _services.Function<GenerateInvoiceFunction>().RunAsync(message, Context(Attempted(3))));
        var last = await _services.Collect(() => _services.Function<GenerateInvoiceFunction>().RunAsync(message, Context(Attempted(9))));

        Assert.Equal((null, null), (first.Outbox, first.DeadLetter));
        Assert.Equal(("1", "msg-1", message), (first.Retry!.Headers![RetryCounters.Attempts], first.Retry.MessageId, Encoding.UTF8.GetString(first.Retry.Body.Span)));
        Assert.InRange(first.Retry.Expiration!.Value, TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2.4)); // 2 s ± 20 %
        Assert.Equal("4", fourth.Retry!.Headers![RetryCounters.Attempts]);
        Assert.InRange(fourth.Retry.Expiration!.Value, TimeSpan.FromSeconds(12.8), TimeSpan.FromSeconds(19.2)); // 2 s x 2^3 ± 20 %
        Assert.False(fourth.Retry.Headers.ContainsKey(RetryCounters.RabbitMQRequeueCount));
        Assert.Null(last.Retry);
        var deadLetter = Json(last.DeadLetter!);
        Assert.Equal(("RetriesExhausted", "msg-1"), ((string?)deadLetter["reason"]!["code"], (string?)deadLetter["originalMessageId"]));
    }

    /// <summary>Binding data of a delivery the Function App has parked <paramref name="attempts"/> times, also counted by the trigger once (headers as the host serializes them).</summary>
    private static Dictionary<string, object?> Attempted(int? attempts)
    {
        var data = RabbitMQBindingData(messageId: "msg-1");
        if (attempts is { } count)
            data["BasicProperties"] = JsonSerializer.Serialize(new { ContentType = "application/json", MessageId = "msg-1",
                Headers = new Dictionary<string, object> { [RetryCounters.Attempts] = count, [RetryCounters.RabbitMQRequeueCount] = 1 } });
        return data;
    }

    [Fact]
    public async Task RecordPayment_writes_the_payment_row_and_nothing_to_the_outbox()
    {
        // The payment settles against the receivable SyncInvoice posts from invoice.issued.
        await _services.Collect(() => _services.Function<SyncInvoiceFunction>().RunAsync(CollectorEvents.InvoiceIssued(_tenant), Context()));
        var output = await _services.Collect(() => _services.Function<RecordPaymentFunction>().RunAsync(CollectorEvents.InvoicePaid(_tenant), Context()));

        Assert.Null(output.Outbox);
        Assert.Null(output.DeadLetter);
        var payment = Assert.Single(output.Output.Payments!);
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

        var output = await _services.Collect(() => _services.Function<CaptureOrderFunction>().RunAsync(order, Context()));

        Assert.Null(output.Outbox);
        Assert.Null(output.DeadLetter);
    }
}
