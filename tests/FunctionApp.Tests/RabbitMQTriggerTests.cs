using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Tests.Harness;
using EventProcessors.LocalHost.DeadLetters;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RabbitMQ.Client;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The Collector functions under the RabbitMQ trigger's rules (<see cref="RabbitMQTriggerHarness"/>), against the real
/// broker (a fresh virtual host with infra/rabbitmq/definitions.json applied) and real Table Storage (Azurite).
/// </summary>
public sealed class RabbitMQTriggerTests(RabbitMqFixture broker, AzuriteFixture storage) : IClassFixture<RabbitMqFixture>, IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = Eventually.DefaultPatience;
    private static readonly string[] OrderToCash = ["CreateOrderFromOffer", "RouteOutbox", "CaptureOrder", "CreateDeliveryNote", "GenerateInvoice", "SyncInvoice"];

    private readonly string _tables = HarnessHost.NewTablePrefix();
    private readonly string _tenant = FunctionHost.NewTenant();
    private readonly SqlOutputStandIn _sql = new();
    private readonly List<IAsyncDisposable> _cleanup = [];
    private RabbitVirtualHost _vhost = null!;
    private Dictionary<string, string?>? _settings;

    public async Task InitializeAsync()
    {
        _vhost = await broker.CreateVirtualHostAsync("fa");
        await Topology.DeclareAsync(_vhost.Uri);
    }

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup)) await item.DisposeAsync();
        await _vhost.DisposeAsync();
    }

    private async Task<RabbitMQTriggerHarness> StartHostAsync(Action<IServiceCollection>? configure = null, params string[] functions)
    {
        var services = HarnessHost.Services(storage.ConnectionString, _tables, _vhost.Uri, configure, _settings);
        var host = await RabbitMQTriggerHarness.StartAsync(_vhost.Uri, services, _sql, prefetchCount: 16, functions);
        _cleanup.Add(services);
        _cleanup.Add(host);
        return host;
    }

    private Task PublishAsync(string type, string body, string messageId) =>
        Topology.PublishAsync(_vhost.Uri, Destinations.CollectorExchange, type, body,
            new BasicProperties { MessageId = messageId, ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent });

    [Fact]
    public async Task Order_to_cash_runs_through_RouteOutbox_with_nothing_dead_lettered()
    {
        await StartHostAsync(null, OrderToCash);

        await PublishAsync("offer.approved", CollectorEvents.OfferApproved(_tenant), "offer-msg-1");
        var order = (await WaitForRowsAsync("dbo.Orders", 1)).Single();
        await PublishAsync("order.confirmed", OrderConfirmed((string)order["OrderId"]!, (string)order["OrderNumber"]!), "confirm-msg-1");
        var note = (await WaitForRowsAsync("dbo.DeliveryNotes", 1)).Single();
        await PublishAsync("delivery.confirmed", DeliveryConfirmed(note, order), "delivery-msg-1");
        var invoice = (await WaitForRowsAsync("dbo.Invoices", 1)).Single();
        var ledger = await WaitForRowsAsync("dbo.LedgerEntries", 3);

        Assert.Equal((order["GrandTotal"], order["OrderId"]), (invoice["GrandTotal"], invoice["OrderId"]));
        Assert.Equal(ledger.Sum(e => (decimal)e["Debit"]!), ledger.Sum(e => (decimal)e["Credit"]!));
        Assert.Equal(2, _sql.Rows("dbo.InvoiceLines").Count);
        await AssertNothingDeadLetteredAsync();
        Assert.Equal(0u, await Topology.CountAsync(_vhost.Uri, Destinations.CollectorOutbox));
    }

    [Fact]
    public async Task A_message_delivered_three_times_puts_one_follow_on_on_the_exchange_and_writes_its_rows_each_time()
    {
        var host = await StartHostAsync(null, "CreateOrderFromOffer", "RouteOutbox");
        var offer = CollectorEvents.OfferApproved(_tenant);
        for (var i = 0; i < 3; i++) await PublishAsync("offer.approved", offer, "offer-thrice");

        await WaitForAsync(() => host.Invocations.Count(i => i is { Function: "CreateOrderFromOffer", Succeeded: true }) >= 3 ? "" : null, "three deliveries handled");
        await WaitForAsync(() => host.Invocations.Any(i => i.Function == "RouteOutbox") ? "" : null, "the follow-on routed");
        await Task.Delay(TimeSpan.FromSeconds(1)); // a second follow-on would be in the outbox by now: its delivery returned after the confirm

        // The first delivery's follow-on was confirmed and marked; the duplicates published nothing, but handed their
        // rows to the SQL output again (the binding upserts by key), since nothing tells the function it wrote them.
        var routed = Assert.Single(await Topology.PeekAsync(_vhost.Uri, Consumers.CaptureOrder.Queue));
        Assert.Equal("order.created", JsonNode.Parse(routed.Body)!["type"]!.GetValue<string>());
        Assert.Single(host.Invocations, i => i.Function == "RouteOutbox");
        Assert.Equal(0u, await Topology.CountAsync(_vhost.Uri, Destinations.CollectorOutbox));
        Assert.Single(_sql.Rows("dbo.Orders"));
        Assert.Equal(3, _sql.Writes("dbo.Orders"));
        await AssertNothingDeadLetteredAsync();
    }

    [Fact]
    public async Task A_transient_failure_parks_in_the_retry_queue_while_the_queue_moves_on_and_succeeds_once_its_cause_is_gone()
    {
        // Two orders, created by the function itself; their order.created events are held back from CaptureOrder.
        await using (var creator = await StartHostAsync(null, "CreateOrderFromOffer"))
        {
            // One offer in each of two tenants: two orders with ids of their own.
            await PublishAsync("offer.approved", CollectorEvents.OfferApproved(_tenant, "OFF-A"), "offer-a");
            await PublishAsync("offer.approved", CollectorEvents.OfferApproved(FunctionHost.NewTenant(), "OFF-B"), "offer-b");
            await WaitForAsync(async () => await Topology.CountAsync(_vhost.Uri, Destinations.CollectorOutbox) >= 2 ? true : (bool?)null, "two order.created");
        }
        var created = (await Topology.PeekAsync(_vhost.Uri, Destinations.CollectorOutbox)).Select(m => m.Body).ToArray();
        var (createdA, createdB) = (created[0], created[1]);
        string OrderId(string body) => JsonNode.Parse(body)!["data"]!["orderId"]!.GetValue<string>();
        string TenantOf(string body) => JsonNode.Parse(body)!["tenantid"]!.GetValue<string>();

        // GenerateInvoice needs the order's snapshot, which CaptureOrder records: without it the invoice is a transient failure.
        var host = await StartHostAsync(null, "CaptureOrder", "GenerateInvoice");
        await PublishAsync("order.created", createdA, "created-a");
        await WaitForAsync(() => host.Invocations.Any(i => i is { Function: "CaptureOrder", Succeeded: true }) ? "" : null, "order A captured");
        await PublishAsync("delivery.confirmed", Delivered(OrderId(createdB), TenantOf(createdB)), "delivered-b");
        await PublishAsync("delivery.confirmed", Delivered(OrderId(createdA), TenantOf(createdA)), "delivered-a");

        await WaitForAsync(() => _sql.Rows("dbo.Invoices").Values.SingleOrDefault(r => (string)r["OrderId"]! == OrderId(createdA)), "invoice A");
        // B waited in its retry queue without holding A back (the trigger dispatches one message at a time).
        Assert.DoesNotContain(_sql.Rows("dbo.Invoices").Values, r => (string)r["OrderId"]! == OrderId(createdB));
        Assert.Contains(host.Invocations, i => i is { Function: "GenerateInvoice", MessageId: "delivered-b" });

        await PublishAsync("order.created", createdB, "created-b");
        await WaitForAsync(() => _sql.Rows("dbo.Invoices").Values.SingleOrDefault(r => (string)r["OrderId"]! == OrderId(createdB)), "invoice B after its snapshot");
        Assert.Equal(2, _sql.Rows("dbo.Invoices").Count);
        await AssertNothingDeadLetteredAsync();
        // Every attempt at B returned success after its copy was confirmed in the retry queue: no trigger redelivery was spent.
        Assert.All(host.Invocations, i => Assert.True(i.Succeeded, i.Error));
        Assert.True(host.Invocations.Count(i => i.MessageId == "delivered-b") >= 2);
    }

    [Fact]
    public async Task A_transient_failure_that_never_ends_is_dead_lettered_after_the_configured_attempts_with_its_message()
    {
        await StartHostAsync(null, "GenerateInvoice");
        var delivered = Delivered("order-never-created");
        await PublishAsync("delivery.confirmed", delivered, "delivered-x");

        var letter = await WaitForDeadLetterAsync(Consumers.GenerateInvoice.Queue);

        Assert.Equal(("RetriesExhausted", "delivered-x", "application/json"), (letter.Reason.Code, letter.OriginalMessageId, letter.OriginalContentType));
        Assert.Contains("attempt 10 of 10", letter.Reason.Message);
        Assert.Equal(delivered, letter.OriginalBody);
        Assert.DoesNotContain(letter.OriginalHeaders ?? new Dictionary<string, string>(), h => RetryCounters.IsCounter(h.Key));
    }

    [Fact]
    public async Task A_host_killed_between_claim_and_completion_is_finished_once_by_the_next_host_and_nothing_is_dead_lettered()
    {
        // A lease long enough that the next host surely meets it held, also on a busy machine.
        _settings = new() { ["Processing:LeaseDuration"] = "00:00:20" };
        var completing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource().Task;
        var first = await StartHostAsync(s => s.Replace(ServiceDescriptor.Singleton<IIdempotencyStore>(sp =>
            new CompletionGate(ActivatorUtilities.CreateInstance<TableIdempotencyStore>(sp), completing, never))), "CreateOrderFromOffer");

        await PublishAsync("offer.approved", CollectorEvents.OfferApproved(_tenant), "offer-kill");
        await completing.Task.WaitAsync(Patience); // claimed and handled; the completion never lands
        await first.KillAsync(); // its invocation stays stuck in the completion, as in a host that died there

        var second = await StartHostAsync(null, "CreateOrderFromOffer");
        await WaitForRowsAsync("dbo.Orders", 1);
        await WaitForAsync(async () => await Topology.CountAsync(_vhost.Uri, Destinations.CollectorOutbox) >= 1 ? true : (bool?)null, "order.created in the outbox");

        var outbox = await Topology.PeekAsync(_vhost.Uri, Destinations.CollectorOutbox);
        var created = Assert.Single(outbox); // one completion, one follow-on: the killed host published nothing
        Assert.Equal("order.created", JsonNode.Parse(created.Body)!["type"]!.GetValue<string>());
        Assert.Equal(created.Properties.MessageId, JsonNode.Parse(created.Body)!["id"]!.GetValue<string>());
        Assert.Single(_sql.Rows("dbo.Orders"));
        await AssertNothingDeadLetteredAsync();
        // The second host found the dead host's lease and waited it out in the retry queue before it ran the event.
        Assert.True(second.Invocations.Count(i => i.MessageId == "offer-kill") >= 2, string.Join(", ", second.Invocations));
    }

    [Fact]
    public async Task A_message_the_trigger_rejected_is_replayed_with_a_full_budget_and_its_message_id()
    {
        await StartHostAsync(null, "CreateOrderFromOffer");
        _sql.Fail(); // the SQL output fails after every invocation: the trigger republishes, then rejects after the fifth
        await PublishAsync("offer.approved", CollectorEvents.OfferApproved(_tenant), "offer-replay");
        var queue = Consumers.CreateOrderFromOffer.Queue;
        await WaitForAsync(async () => await Topology.CountAsync(_vhost.Uri, Destinations.DeadLetterQueue(queue)) == 1 ? true : (bool?)null, "the rejected message");
        var rejected = Assert.Single(await Topology.PeekAsync(_vhost.Uri, Destinations.DeadLetterQueue(queue)));
        Assert.Equal(4, Convert.ToInt32(rejected.Properties.Headers![RetryCounters.RabbitMQRequeueCount]));
        var firstFollowOns = (await Topology.PeekAsync(_vhost.Uri, Destinations.CollectorOutbox)).Select(m => m.Properties.MessageId).Distinct().ToArray();
        Assert.Single(firstFollowOns); // five attempts, one event id: each duplicate published the same order.created

        _sql.Fail(1); // the cause is fixed, but the first attempt after the replay still fails once
        await ReplayAsync(queue);

        await WaitForRowsAsync("dbo.Orders", 1);
        Assert.Equal(0u, await Topology.CountAsync(_vhost.Uri, Destinations.DeadLetterQueue(queue)));
        var followOns = (await Topology.PeekAsync(_vhost.Uri, Destinations.CollectorOutbox)).Select(m => m.Properties.MessageId).Distinct().ToArray();
        Assert.Equal(firstFollowOns, followOns); // the replay ran under the same message id: same event id, same follow-on id
    }

    [Fact]
    public async Task A_Function_App_dead_letter_keeps_message_id_content_type_and_headers_and_its_replay_runs_the_same_event()
    {
        await StartHostAsync(null, "CreateOrderFromOffer");
        var invalid = CollectorEvents.OfferApproved(_tenant).Replace("\"grandTotal\":\"1500.00\"", "\"grandTotal\":\"fifteen hundred\"", StringComparison.Ordinal);
        Assert.Contains("fifteen hundred", invalid);
        await Topology.PublishAsync(_vhost.Uri, Destinations.CollectorExchange, "offer.approved", invalid, new BasicProperties
        {
            MessageId = "offer-invalid", ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent,
            Headers = new Dictionary<string, object?> { ["x-plant"] = Encoding.UTF8.GetBytes("plant-7") },
        });

        var letter = await WaitForDeadLetterAsync(Consumers.CreateOrderFromOffer.Queue);
        Assert.Equal(("offer-invalid", "application/json", "plant-7"), (letter.OriginalMessageId, letter.OriginalContentType, letter.OriginalHeaders!["x-plant"]));

        await ReplayAsync(Consumers.CreateOrderFromOffer.Queue);
        var replayed = await WaitForDeadLetterAsync(Consumers.CreateOrderFromOffer.Queue);
        // Still invalid, so dead-lettered again: but as the same message, having been run (not refused as a duplicate).
        Assert.Equal(("offer-invalid", "plant-7", "1"), (replayed.OriginalMessageId, replayed.OriginalHeaders!["x-plant"], replayed.OriginalHeaders[InboundMessage.ReplayCountHeader]));
    }

    private async Task ReplayAsync(string queue)
    {
        await using var transport = await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = _vhost.Uri });
        var (replayed, skipped) = await new DeadLetterTool(transport, TopologyDefinition.For(Consumers.All)).ReplayAsync(queue, 10, CancellationToken.None);
        Assert.Single(replayed);
        Assert.Empty(skipped);
    }

    private async Task<CollectorDeadLetter> WaitForDeadLetterAsync(string queue)
    {
        var message = await WaitForAsync(async () => (await Topology.PeekAsync(_vhost.Uri, Destinations.DeadLetterQueue(queue))).Select(m => m.Body).FirstOrDefault(),
            "a dead letter in " + queue);
        return CollectorDeadLetter.TryRead(Encoding.UTF8.GetBytes(message!)) ?? throw new InvalidOperationException("not a Function App envelope: " + message);
    }

    private Task AssertNothingDeadLetteredAsync() => Topology.AssertNothingDeadLetteredAsync(_vhost.Uri);

    private async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> WaitForRowsAsync(string table, int count) =>
        (await Eventually.WaitForAsync(() => _sql.Rows(table).Count >= count ? _sql.Rows(table).Values.ToList() : null, $"{count} rows in {table}"))!;

    private static Task<T?> WaitForAsync<T>(Func<T?> probe, string what) where T : class => Eventually.WaitForAsync(probe, what);

    private static Task<T?> WaitForAsync<T>(Func<Task<T?>> probe, string what) => Eventually.WaitForAsync(probe, what);

    private string OrderConfirmed(string orderId, string orderNumber) => CollectorEvents.Envelope(EventTypes.Collector.OrderConfirmed, _tenant, JsonNode.Parse($$"""
        {
          "orderId": "{{orderId}}", "orderNumber": "{{orderNumber}}", "customerId": "{{CollectorEvents.CustomerId}}",
          "shippingAddressId": "addr-1",
          "lineItems": [
            { "productId": "p-4711", "description": "Product Name", "quantity": 5, "unit": "pcs" },
            { "productId": "p-0815", "description": "Service", "quantity": 2, "unit": "h" }
          ]
        }
        """)!, "2024-01-15T10:40:00.000Z");

    private string Delivered(string orderId, string? tenant = null) => CollectorEvents.Envelope(EventTypes.Collector.DeliveryConfirmed, tenant ?? _tenant, JsonNode.Parse($$"""
        {
          "deliveryNoteId": "{{Guid.NewGuid()}}", "deliveryNumber": "DN-{{orderId}}", "orderId": "{{orderId}}",
          "customerId": "{{CollectorEvents.CustomerId}}", "proofOfDeliveryUrl": "https://pod.example/dn"
        }
        """)!, "2024-01-15T14:00:00.000Z");

    private string DeliveryConfirmed(IReadOnlyDictionary<string, object?> note, IReadOnlyDictionary<string, object?> order) =>
        CollectorEvents.Envelope(EventTypes.Collector.DeliveryConfirmed, _tenant, JsonNode.Parse($$"""
            {
              "deliveryNoteId": "{{note["DeliveryNoteId"]}}", "deliveryNumber": "{{note["DeliveryNumber"]}}", "orderId": "{{order["OrderId"]}}",
              "customerId": "{{CollectorEvents.CustomerId}}", "proofOfDeliveryUrl": "https://pod.example/dn"
            }
            """)!, "2024-01-15T14:00:00.000Z");
}

/// <summary>A store whose completion never lands: it signals that the action ran, then waits for <paramref name="blocked"/>, as a host that dies there.</summary>
internal sealed class CompletionGate(IIdempotencyStore inner, TaskCompletionSource reached, Task blocked) : ForwardingIdempotencyStore(inner)
{
    public override async Task<bool> CompleteAsync(IdempotencyClaim claim, ProcessingOutcome outcome, CancellationToken cancellationToken = default)
    {
        reached.TrySetResult();
        await blocked;
        return await base.CompleteAsync(claim, outcome, cancellationToken);
    }
}
