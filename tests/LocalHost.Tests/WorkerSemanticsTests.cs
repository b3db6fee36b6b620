using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.DeadLetters;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// What the worker promises over any transport: follow-ons published (confirmed) before the input is acked, duplicates
/// suppressed, poison dead-lettered with reasons, transient failures retried, graceful drains, prefetch respected, and a
/// worker killed mid-event finished exactly once by its successor. Run over the in-memory broker and real RabbitMQ.
/// </summary>
public abstract class WorkerSemanticsTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _cleanup = [];

    /// <summary>A new connection to this test's broker (each call is another "process").</summary>
    protected abstract Task<IMessageTransport> ConnectAsync();

    /// <summary>Drops a connection as a killed process would: unsettled deliveries go back to their queues.</summary>
    protected abstract Task KillAsync(IMessageTransport transport);

    /// <summary>This test's table account.</summary>
    protected abstract ITableServiceClient Tables { get; }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            try { await _cleanup[i].DisposeAsync(); }
            catch (Exception) { /* best effort: the broker or vhost may already be gone */ }
        }
    }

    protected T Track<T>(T disposable) where T : IAsyncDisposable
    {
        _cleanup.Add(disposable);
        return disposable;
    }

    protected ProcessingOptions Processing { get; } = new() { IdempotencyTableName = "Idem" + Guid.NewGuid().ToString("N")[..12], LeaseDuration = TimeSpan.FromMinutes(5) };

    protected async Task<(WorkerHarness Worker, ExchangeTap Tap, IMessageTransport Transport)> StartWorkerAsync(IConsumerAction action, WorkerOptions? options = null)
    {
        var transport = Track(await ConnectAsync());
        var worker = Track(new WorkerHarness(transport, Tables, [action], Processing, options));
        await worker.StartAsync();
        var tap = Track(await ExchangeTap.StartAsync(transport));
        return (worker, tap, transport);
    }

    protected static Task PublishAsync(IMessageTransport transport, byte[] body, string routingKey = EventTypes.Collector.OrderCreated, string? messageId = null) =>
        transport.PublishAsync(Destinations.CollectorExchange, routingKey, new OutboundMessage(body, "application/json", messageId), CancellationToken.None);

    /// <summary>Until an idempotency record says its outcome was published and confirmed.</summary>
    private async Task WaitForPublishedMarkerAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        var table = Tables.GetTableClient(Processing.IdempotencyTableName);
        while (!await table.QueryAsync().AnyAsync(r => r.GetDateTimeOffset("PublishedAt") is not null))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No outcome was marked published within {Timeout}.");
            await Task.Delay(20);
        }
    }

    protected static async Task WaitForCountAsync(IMessageTransport transport, string queue, uint count, string description)
    {
        var deadline = DateTime.UtcNow + Timeout;
        uint seen;
        while ((seen = await transport.CountAsync(queue, CancellationToken.None)) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{queue} holds {seen} messages, not {count}, after {Timeout}: {description}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Publishes_follow_ons_to_the_exchange_writes_records_and_acks_the_input()
    {
        var action = new ProbeAction();
        var (worker, tap, transport) = await StartWorkerAsync(action);

        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-1", "order-1"));

        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "stock.reserved on the exchange");
        var followOn = Assert.Single(tap.OfType(EventTypes.Collector.StockReserved));
        Assert.Equal(Destinations.CollectorExchange, followOn.Exchange);
        Assert.Equal(CloudEvent.JsonContentType, followOn.ContentType);
        var e = JsonSerializer.Deserialize<CloudEvent>(followOn.Body, ContractJson.Options)!;
        Assert.Equal(e.Id, followOn.MessageId);
        Assert.Equal("corr-123", e.CorrelationId);
        await worker.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Published), Timeout, "the publish on the timeline");
        var rows = await worker.Records.ReadAllAsync("ProbeReservations");
        var row = Assert.Single(rows);
        Assert.Equal("order-1", row.PartitionKey);
        Assert.Equal("5", row.GetString("Quantity"));
        Assert.Equal("tenant-123", row.GetString("TenantId"));
        await worker.StopAsync();
        Assert.Equal(0u, await transport.CountAsync(Consumers.ReserveStock.Queue, CancellationToken.None));
        Assert.Equal(1, action.Runs);
    }

    [Fact]
    public async Task One_message_published_three_times_has_one_effect_and_one_set_of_follow_ons()
    {
        var action = new ProbeAction();
        var (worker, tap, transport) = await StartWorkerAsync(action);
        var body = CollectorEvents.OrderCreated("ORD-2", "order-2");

        await PublishAsync(transport, body);
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the follow-on");
        await WaitForPublishedMarkerAsync();
        for (var i = 0; i < 2; i++) await PublishAsync(transport, body);

        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind is TimelineKind.Duplicate) == 2, Timeout, "two duplicate verdicts");
        Assert.Equal(1, action.Runs);
        // Duplicates stop at the first hop: the outcome was published and confirmed once, and that is recorded.
        Assert.All(worker.Timeline.OfKind(TimelineKind.Duplicate), d => Assert.Equal("outcome already published", d.Detail));
        Assert.Single(tap.OfType(EventTypes.Collector.StockReserved));
        var row = Assert.Single(await worker.Records.ReadAllAsync("ProbeReservations"));
        Assert.Equal(1, row.GetInt32("Run"));
    }

    [Fact]
    public async Task Unreadable_json_an_unknown_type_and_an_invalid_payload_are_dead_lettered_with_reasons_and_the_worker_keeps_going()
    {
        var action = new ProbeAction();
        var (worker, _, transport) = await StartWorkerAsync(action);
        var deadLetters = Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue);

        await PublishAsync(transport, CollectorEvents.UnreadableJson(), messageId: "poison-1");
        await PublishAsync(transport, CollectorEvents.UnknownType());
        await PublishAsync(transport, CollectorEvents.InvalidOrderCreated());
        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-3", "order-3"));

        await worker.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Completed), Timeout, "the good event after the poison");
        await WaitForCountAsync(transport, deadLetters, 3, "three dead letters");
        await using var batch = await transport.GetAsync(deadLetters, 10, CancellationToken.None);
        Assert.Equal(3, batch.Deliveries.Count);
        var byCode = batch.Deliveries.ToDictionary(d => d.Message.HeadersOrEmpty[DeadLetterHeaders.Code]);
        Assert.Contains("UnreadableJson", byCode.Keys);
        Assert.Contains("UnknownType", byCode.Keys);
        Assert.Contains(byCode.Keys, code => code is "MistypedField" or "InvalidValue");
        var unreadable = byCode["UnreadableJson"];
        Assert.Equal("poison-1", unreadable.Message.MessageId);
        Assert.Equal(CollectorEvents.UnreadableJson(), unreadable.Message.Body.ToArray());
        Assert.Contains("$", unreadable.Message.HeadersOrEmpty[DeadLetterHeaders.Reason]);
        Assert.Contains("order.teleported", byCode["UnknownType"].Message.HeadersOrEmpty[DeadLetterHeaders.Reason]);
        var invalid = byCode.Single(kv => kv.Key is "MistypedField" or "InvalidValue").Value;
        Assert.Contains("$.data.lineItems[0].quantity", invalid.Message.HeadersOrEmpty[DeadLetterHeaders.Reason]);
        foreach (var d in batch.Deliveries)
        {
            Assert.Equal(Destinations.CollectorExchange, d.Message.HeadersOrEmpty[DeadLetterHeaders.OriginalExchange]);
            Assert.Equal(EventTypes.Collector.OrderCreated, d.Message.HeadersOrEmpty[DeadLetterHeaders.OriginalRoutingKey]);
            Assert.Equal(Consumers.ReserveStock.Queue, d.Message.HeadersOrEmpty[DeadLetterHeaders.FirstDeathQueue]);
            await d.AckAsync();
        }
        Assert.Equal(1, action.Runs);
    }

    [Fact]
    public async Task Poison_delivered_again_after_its_dead_letter_is_not_dead_lettered_twice_but_a_replay_of_it_is()
    {
        var (worker, _, transport) = await StartWorkerAsync(new ProbeAction());
        var deadLetters = Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue);

        // The same bytes under the same message id, as a redelivery after a lost ack or a kill before it carries them.
        await PublishAsync(transport, CollectorEvents.UnreadableJson(), messageId: "poison-again");
        await WaitForCountAsync(transport, deadLetters, 1, "the first dead letter");
        await PublishAsync(transport, CollectorEvents.UnreadableJson(), messageId: "poison-again");
        await worker.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Duplicate), Timeout, "the second delivery seen as written");
        Assert.Equal(1u, await transport.CountAsync(deadLetters, CancellationToken.None));

        // Replayed with its cause still there, it is a new attempt and gets a dead letter of its own.
        var (replayed, _) = await new DeadLetterTool(transport, TopologyDefinition.For([Consumers.ReserveStock])).ReplayAsync(null, 10, CancellationToken.None);
        Assert.Single(replayed);
        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.DeadLettered) == 2, Timeout, "the replay dead-lettered");
        await WaitForCountAsync(transport, deadLetters, 1, "the replay's dead letter");
        await using var batch = await transport.GetAsync(deadLetters, 10, CancellationToken.None);
        Assert.Equal(1, Assert.Single(batch.Deliveries).Message.Count(DeadLetterHeaders.Replays));
    }

    [Fact]
    public async Task Transient_failures_are_retried_with_backoff_until_they_pass()
    {
        var action = new ProbeAction((_, run, _) => run < 3 ? throw new TransientProcessingException($"not yet ({run})") : Task.CompletedTask);
        var (worker, tap, transport) = await StartWorkerAsync(action);

        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-4", "order-4"));

        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the follow-on after two failures");
        Assert.Equal(3, action.Runs);
        Assert.Equal(2, worker.Timeline.OfKind(TimelineKind.Retrying).Count());
        Assert.Equal(3, Assert.Single(worker.Timeline.OfKind(TimelineKind.Completed)).Attempt);
    }

    [Fact]
    public async Task A_failure_that_outlasts_the_attempts_is_dead_lettered_with_the_last_reason()
    {
        var action = new ProbeAction((_, run, _) => throw new InvalidOperationException($"database says no ({run})"));
        var (worker, tap, transport) = await StartWorkerAsync(action);

        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-5", "order-5"));

        var deadLetters = Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue);
        await WaitForCountAsync(transport, deadLetters, 1, "the exhausted event");
        Assert.Equal(worker.Options.MaxAttempts, action.Runs);
        await using var batch = await transport.GetAsync(deadLetters, 1, CancellationToken.None);
        var headers = Assert.Single(batch.Deliveries).Message.HeadersOrEmpty;
        Assert.Equal("RetriesExhausted", headers[DeadLetterHeaders.Code]);
        Assert.Contains($"database says no ({worker.Options.MaxAttempts})", headers[DeadLetterHeaders.Reason]);
        Assert.Empty(tap.OfType(EventTypes.Collector.StockReserved));
    }

    [Fact]
    public async Task A_dead_letter_is_listed_with_its_reason_and_replayed_to_its_queue_once_the_cause_is_gone()
    {
        var healthy = false;
        var action = new ProbeAction((_, _, _) => Volatile.Read(ref healthy) ? Task.CompletedTask : throw new InvalidOperationException("warehouse system offline"));
        var (worker, tap, transport) = await StartWorkerAsync(action);
        var deadLetters = new DeadLetterTool(transport, TopologyDefinition.For([Consumers.ReserveStock]));
        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-D", "order-d"), messageId: "msg-d");
        await WaitForCountAsync(transport, Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue), 1, "the exhausted event");

        var listed = Assert.Single(await deadLetters.ListAsync(null, 10, CancellationToken.None));
        Assert.Equal(("msg-d", "RetriesExhausted", Consumers.ReserveStock.Queue, Destinations.CollectorExchange, EventTypes.Collector.OrderCreated),
            (listed.MessageId, listed.Code, listed.FirstDeathQueue, listed.OriginalExchange, listed.OriginalRoutingKey));
        Assert.Contains("warehouse system offline", listed.Reason);
        Assert.Single(await deadLetters.ListAsync(Consumers.ReserveStock.Queue, 10, CancellationToken.None)); // listing moved nothing

        Volatile.Write(ref healthy, true);
        var (replayed, skipped) = await deadLetters.ReplayAsync(null, 10, CancellationToken.None);

        Assert.Single(replayed);
        Assert.Empty(skipped);
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the replayed event's follow-on");
        Assert.Equal(0u, await transport.CountAsync(Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue), CancellationToken.None));
        Assert.Single(await worker.Records.ReadAllAsync("ProbeReservations"));
    }

    [Fact]
    public async Task Input_an_action_refused_is_handled_when_replayed_after_its_cause_is_fixed_and_only_then()
    {
        var stocked = false;
        var action = new ProbeAction((_, _, _) => Volatile.Read(ref stocked)
            ? Task.CompletedTask
            : throw EventValidationException.Invalid("Product 'p-1' is not stocked in any warehouse.", "$.data.lineItems[0].productId"));
        var (worker, tap, transport) = await StartWorkerAsync(action);
        var deadLetters = new DeadLetterTool(transport, TopologyDefinition.For([Consumers.ReserveStock]));
        var deadLetterQueue = Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue);
        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-F", "order-f"), messageId: "msg-f");
        await WaitForCountAsync(transport, deadLetterQueue, 1, "the refused event");
        Assert.Equal("InvalidValue", Assert.Single(await deadLetters.ListAsync(null, 10, CancellationToken.None)).Code);

        // The same event (message id) again, re-encoded, before anyone fixed anything: dead-lettered again without running the action
        // (a byte-identical copy would be the letter already written; see the poison test above).
        await PublishAsync(transport, [.. CollectorEvents.OrderCreated("ORD-F", "order-f"), (byte)'\n'], messageId: "msg-f");
        await WaitForCountAsync(transport, deadLetterQueue, 2, "the re-encoded copy");
        Assert.Equal(1, action.Runs);

        Volatile.Write(ref stocked, true); // the operator stocks the product, then replays
        var (replayed, skipped) = await deadLetters.ReplayAsync(null, 10, CancellationToken.None);

        Assert.Equal((2, 0), (replayed.Count, skipped.Count));
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the replayed event's follow-on");
        await worker.Timeline.WaitForAsync(t => t.Count(e => e.Kind is TimelineKind.Completed or TimelineKind.Duplicate) == 2, Timeout, "both replays settled");
        Assert.Equal(2, action.Runs); // two replayed copies of one event: it ran once more, the second copy was its duplicate
        Assert.Single(await worker.Records.ReadAllAsync("ProbeReservations"));
        Assert.Equal(0u, await transport.CountAsync(deadLetterQueue, CancellationToken.None));
    }

    [Fact]
    public async Task A_Function_App_dead_letter_is_listed_from_its_envelope_and_replayed_as_the_original_message()
    {
        var action = new ProbeAction();
        var (worker, tap, transport) = await StartWorkerAsync(action);
        var deadLetters = new DeadLetterTool(transport, TopologyDefinition.For([Consumers.ReserveStock]));
        var deadLetterQueue = Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue);
        var original = Encoding.UTF8.GetString(CollectorEvents.OrderCreated("ORD-G", "order-g"));
        // What the ReserveStock function's DeadLetter output writes: the envelope, through the default exchange, no headers.
        var envelope = new CollectorDeadLetter(new DeadLetterReason("InvalidValue", "Product 'p-1' is not stocked in any warehouse.", "$.data.lineItems[0].productId"),
            Consumers.ReserveStock.Name, Consumers.ReserveStock.Queue, original, DateTimeOffset.UtcNow);
        await transport.PublishAsync("", deadLetterQueue, new OutboundMessage(Encoding.UTF8.GetBytes(envelope.ToJson()), "application/json"), CancellationToken.None);
        await WaitForCountAsync(transport, deadLetterQueue, 1, "the Function App's dead letter");

        var listed = Assert.Single(await deadLetters.ListAsync(null, 10, CancellationToken.None));
        var (replayed, skipped) = await deadLetters.ReplayAsync(null, 10, CancellationToken.None);

        Assert.Equal(("InvalidValue", "ReserveStock", Consumers.ReserveStock.Queue, EventTypes.Collector.OrderCreated),
            (listed.Code, listed.Consumer, listed.FirstDeathQueue, listed.EventType));
        Assert.Equal("Product 'p-1' is not stocked in any warehouse. (at $.data.lineItems[0].productId)", listed.Reason);
        Assert.Equal((1, 0), (replayed.Count, skipped.Count));
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the replayed original's follow-on");
        var row = Assert.Single(await worker.Records.ReadAllAsync("ProbeReservations"));
        Assert.Equal("order-g", row.GetString("OrderId"));
        Assert.Equal(0u, await transport.CountAsync(deadLetterQueue, CancellationToken.None));
    }

    [Fact]
    public async Task RouteOutbox_republishes_the_Function_Apps_outputs_to_the_exchange_and_dead_letters_what_it_cannot_read()
    {
        var (_, tap, transport) = await StartWorkerAsync(new ProbeAction());
        var e = new CloudEvent
        {
            Id = "evt-outbox-1",
            Source = "/event-processors/orders.create-from-offer",
            Type = EventTypes.Collector.OrderCreated,
            CorrelationId = "corr-outbox",
            Data = JsonSerializer.SerializeToElement(new { orderId = "order-o", orderNumber = "ORD-O" }),
        };

        await transport.PublishAsync("", Destinations.CollectorOutbox, new OutboundMessage(e.ToJsonBytes(), CloudEvent.JsonContentType), CancellationToken.None);
        await transport.PublishAsync("", Destinations.CollectorOutbox, new OutboundMessage(Encoding.UTF8.GetBytes("not json"), "application/json"), CancellationToken.None);

        await tap.WaitForAsync(m => m.Any(x => x.MessageId == "evt-outbox-1"), Timeout, "the routed event on collector-events");
        var routed = Assert.Single(tap.Messages, m => m.MessageId == "evt-outbox-1");
        Assert.Equal((Destinations.CollectorExchange, EventTypes.Collector.OrderCreated, CloudEvent.JsonContentType), (routed.Exchange, routed.RoutingKey, routed.ContentType));
        await WaitForCountAsync(transport, Destinations.DeadLetterQueue(Destinations.CollectorOutbox), 1, "the unreadable outbox message");
        Assert.Equal(0u, await transport.CountAsync(Destinations.CollectorOutbox, CancellationToken.None));
    }

    [Fact]
    public async Task An_MES_action_publishes_to_mes_events_and_acks_types_it_does_not_consume_without_dead_lettering()
    {
        var action = new MesProbeAction();
        var (worker, tap, transport) = await StartWorkerAsync(action);
        static byte[] Mes(string type, string data) => Encoding.UTF8.GetBytes(
            $$"""{ "type": "{{type}}", "meta": { "eventId": "{{Guid.NewGuid()}}", "source": "mes.work-order-service", "correlationId": "wo-corr", "timestamp": "2024-03-01T08:00:00Z" }, "data": {{data}} }""");

        // The MES topic carries the whole plant's events: a type this action does not consume is acknowledged and ignored.
        await transport.PublishAsync(Destinations.MesTopic, EventTypes.Mes.WorkOrderCompleted, new OutboundMessage(Mes(EventTypes.Mes.WorkOrderStarted,
            """{ "workOrderId": "wo-0", "workOrderNumber": "WO-0", "startedAt": "2024-03-01T08:00:00Z", "startedBy": "op" }"""), "application/json"), CancellationToken.None);
        await transport.PublishAsync(Destinations.MesTopic, EventTypes.Mes.WorkOrderCompleted, new OutboundMessage(Mes(EventTypes.Mes.WorkOrderCompleted,
            """{ "workOrderId": "wo-1", "workOrderNumber": "WO-1", "quantityCompleted": 10, "quantityRejected": 0, "completedAt": "2024-03-01T09:00:00Z", "completedBy": "op" }"""),
            "application/json"), CancellationToken.None);

        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Mes.QualityInspectionCreated), Timeout, "the inspection on mes-events");
        Assert.Equal(Destinations.MesTopic, Assert.Single(tap.OfType(EventTypes.Mes.QualityInspectionCreated)).Exchange);
        await worker.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Ignored), Timeout, "the ignored work-order.started");
        Assert.Equal(1, action.Runs);
        await worker.StopAsync();
        Assert.Equal(0u, await transport.CountAsync(Consumers.CreateInspection.Queue, CancellationToken.None));
        Assert.Equal(0u, await transport.CountAsync(Destinations.DeadLetterQueue(Consumers.CreateInspection.Queue), CancellationToken.None));
    }

    [Fact]
    public async Task Stopping_drains_in_flight_work_before_returning()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var action = new ProbeAction(async (_, _, _) => { entered.TrySetResult(); await release.Task; });
        var (worker, tap, transport) = await StartWorkerAsync(action);
        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-6", "order-6"));
        await entered.Task.WaitAsync(Timeout);

        var stopping = worker.StopAsync();
        Assert.False(stopping.IsCompleted, "StopAsync returned while an event was still being handled");
        release.SetResult();
        await stopping.WaitAsync(Timeout);

        Assert.Single(worker.Timeline.OfKind(TimelineKind.Completed));
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the drained event's follow-on");
        Assert.Equal(0u, await transport.CountAsync(Consumers.ReserveStock.Queue, CancellationToken.None));
        Assert.Equal(1, action.Runs);
    }

    [Fact]
    public async Task Prefetch_bounds_the_deliveries_in_flight()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var twoInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var action = new ProbeAction(async (_, run, _) =>
        {
            if (run == 2) twoInside.TrySetResult();
            await release.Task;
        });
        var options = WorkerHarness.FastOptions();
        options.Prefetch = 2;
        var (worker, _, transport) = await StartWorkerAsync(action, options);

        for (var i = 0; i < 6; i++) await PublishAsync(transport, CollectorEvents.OrderCreated($"ORD-P{i}", $"order-p{i}"));
        await twoInside.Task.WaitAsync(Timeout);
        await WaitForCountAsync(transport, Consumers.ReserveStock.Queue, 4, "the rest waiting in the queue");

        Assert.Equal(2, worker.Timeline.OfKind(TimelineKind.Received).Count());
        release.SetResult();
        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Completed) == 6, Timeout, "all six");
        Assert.Equal(2, action.MaxConcurrent);
    }

    [Fact]
    public async Task A_worker_killed_between_claim_and_completion_is_finished_exactly_once_by_the_next()
    {
        var claimed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        // The first worker claims the event, then hangs inside the action until it is killed (it never returns).
        var doomed = new ProbeAction(async (_, _, _) => { claimed.TrySetResult(); await never.Task; });
        var shortLease = new ProcessingOptions { IdempotencyTableName = Processing.IdempotencyTableName, LeaseDuration = TimeSpan.FromSeconds(2) };
        var firstTransport = await ConnectAsync();
        var firstTables = new SeverableTables(Tables);
        var first = new WorkerHarness(firstTransport, firstTables, [doomed], shortLease);
        await first.StartAsync();
        await PublishAsync(firstTransport, CollectorEvents.OrderCreated("ORD-K", "order-k"));
        await claimed.Task.WaitAsync(Timeout);

        await KillAsync(firstTransport);
        firstTables.Sever(); // a killed process renews no lease

        var successor = new ProbeAction();
        var transport = Track(await ConnectAsync());
        var tap = Track(await ExchangeTap.StartAsync(transport));
        var second = Track(new WorkerHarness(transport, Tables, [successor], shortLease));
        await second.StartAsync();

        await second.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Completed), Timeout, "the successor to finish the event");
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the follow-on");
        Assert.Equal(1, successor.Runs);
        Assert.Single(tap.OfType(EventTypes.Collector.StockReserved));
        Assert.Single(await second.Records.ReadAllAsync("ProbeReservations"));
        await second.StopAsync();
        Assert.Equal(0u, await transport.CountAsync(Consumers.ReserveStock.Queue, CancellationToken.None));
        Assert.Equal(0u, await transport.CountAsync(Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue), CancellationToken.None));
    }
}
