using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Logging;

namespace EventProcessors.Processing.Tests.Pipeline;

public sealed class EventPipelineTests
{
    private readonly PipelineHarness _harness = new(new InMemoryTableServiceClient());

    [Fact]
    public async Task Handles_an_event_and_derives_follow_ons_from_it()
    {
        var action = new ScriptedAction();

        var result = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Equal(1, action.Runs);
        var followOn = Assert.Single(result.Outcome.Events);
        Assert.Equal("stock.reserved", followOn.Type);
        Assert.Equal(result.Event!.Id, followOn.CausationId);
        Assert.Equal("corr-123", followOn.CorrelationId);
        Assert.Equal("tenant-123", followOn.TenantId);
        Assert.Equal("order-1", followOn.PartitionKey);
        Assert.Equal(action.Definition.Source, followOn.Source);
        Assert.Equal(ActionContext.FollowOnId(result.Event, action.Definition.Queue, "stock.reserved", 0), followOn.Id);
        var record = Assert.Single(result.Outcome.Records);
        Assert.Equal("StockReservations", record.Table);
        Assert.Equal(5m, record.Row.GetProperty("Quantity").GetDecimal());
    }

    [Theory]
    [InlineData("emit")]
    [InlineData("write")]
    public async Task An_action_that_emits_or_writes_what_its_definition_does_not_declare_completes_nothing_and_is_retried(string undeclared)
    {
        var action = new ScriptedAction((context, _) =>
        {
            if (undeclared == "emit") context.Emit(EventTypes.Collector.StockLow, new { productId = "p-1" });
            else context.Write(new UndeclaredRow("row-1"));
            return Task.CompletedTask;
        });

        var first = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);
        var again = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        Assert.Equal(ProcessingStatus.Retry, first.Status);
        Assert.Contains(undeclared == "emit" ? "emits stock.low, which its definition does not declare" : "writes UndeclaredRow, which its definition does not declare",
            first.RetryReason);
        // No outcome was recorded: the next delivery runs the action again rather than replaying a partial one.
        Assert.Equal((ProcessingStatus.Retry, 2), (again.Status, action.Runs));
    }

    [Fact]
    public async Task A_dead_lettered_event_stays_dead_until_an_operator_replays_it_then_it_runs_once()
    {
        var fixedCause = false;
        var action = new ScriptedAction((_, _) => Volatile.Read(ref fixedCause)
            ? Task.CompletedTask
            : throw EventValidationException.Invalid("Product 'p-1' is not stocked in any warehouse.", "$.data.lineItems[0].productId"));
        var body = Encoding.UTF8.GetBytes(PipelineHarness.OrderCreated());
        var replay = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [InboundMessage.ReplayCountHeader] = "1" };

        var dead = await _harness.Pipeline.ProcessAsync(new InboundMessage(body), action, CancellationToken.None);
        Volatile.Write(ref fixedCause, true);
        var redelivered = await _harness.Pipeline.ProcessAsync(new InboundMessage(body), action, CancellationToken.None);
        var replayed = await _harness.Pipeline.ProcessAsync(new InboundMessage(body, replay), action, CancellationToken.None);
        var replayedAgain = await _harness.Pipeline.ProcessAsync(new InboundMessage(body, replay), action, CancellationToken.None);

        Assert.Equal((ProcessingStatus.DeadLettered, "$.data.lineItems[0].productId"), (dead.Status, dead.Error!.Path));
        Assert.Equal(ProcessingStatus.DeadLettered, redelivered.Status); // a plain redelivery is a duplicate of the poison message
        Assert.Equal(ProcessingStatus.Completed, replayed.Status);
        Assert.Equal(ProcessingStatus.Duplicate, replayedAgain.Status);
        Assert.Equal(2, action.Runs);
        Assert.Equal(replayed.Outcome.Events.Select(e => e.Id), replayedAgain.Outcome.Events.Select(e => e.Id));
    }

    [SqlTable("Undeclared")]
    private sealed record UndeclaredRow(string Id);

    [Fact]
    public async Task Correlation_starts_at_the_causing_event_when_it_has_none()
    {
        var result = await _harness.ProcessAsync(PipelineHarness.OrderCreated(correlationId: null), new ScriptedAction());

        Assert.Equal(result.Event!.Id, Assert.Single(result.Outcome.Events).CorrelationId);
    }

    [Fact]
    public async Task Follow_on_carries_the_current_trace()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ProcessingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        string? traceParentInHandler = null;
        var action = new ScriptedAction((_, _) => { traceParentInHandler = Activity.Current?.Id; return Task.CompletedTask; });

        var result = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        Assert.NotNull(traceParentInHandler);
        Assert.Equal(traceParentInHandler, Assert.Single(result.Outcome.Events).TraceParent);
    }

    [Fact]
    public async Task Duplicate_replays_the_recorded_outcome_without_running_the_action()
    {
        var action = new ScriptedAction();
        var first = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        var second = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        Assert.Equal(ProcessingStatus.Duplicate, second.Status);
        Assert.Equal(1, action.Runs);
        Assert.Equal(first.Outcome.Events.Select(e => e.Id), second.Outcome.Events.Select(e => e.Id));
        Assert.Equal(first.Outcome.Records.Select(r => r.Row.GetRawText()), second.Outcome.Records.Select(r => r.Row.GetRawText()));
    }

    [Fact]
    public async Task Different_bodies_are_different_events()
    {
        var action = new ScriptedAction();
        await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-1"), action);

        var other = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-2"), action);

        Assert.Equal(ProcessingStatus.Completed, other.Status);
        Assert.Equal(2, action.Runs);
    }

    [Theory]
    [InlineData("{ not json", EventErrorCode.UnreadableJson)]
    [InlineData("[1, 2, 3]", EventErrorCode.UnknownShape)]
    [InlineData("""{ "hello": "world" }""", EventErrorCode.UnknownShape)]
    [InlineData("""{ "type": "no.such.event", "timestamp": "2024-01-15T10:35:00Z", "tenantId": "t", "source": "s", "data": {} }""", EventErrorCode.UnknownType)]
    [InlineData("""{ "type": "order.created", "timestamp": "2024-01-15T10:35:00Z", "tenantId": "t", "source": "s", "data": { "orderNumber": "ORD-1" } }""", EventErrorCode.MissingField)]
    public async Task Permanent_errors_dead_letter_with_their_reason_and_never_run_the_action(string body, EventErrorCode expected)
    {
        var action = new ScriptedAction();

        var result = await _harness.ProcessAsync(body, action);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(expected, result.Error!.Code);
        Assert.Equal(0, action.Runs);
    }

    [Fact]
    public async Task Body_over_the_configured_limit_is_dead_lettered()
    {
        var harness = new PipelineHarness(new InMemoryTableServiceClient(), new ProcessingOptions { MaxEventBytes = 512, IdempotencyTableName = "IdemLimit" });

        var result = await harness.ProcessAsync(PipelineHarness.OrderCreated(), new ScriptedAction());

        Assert.Equal(EventErrorCode.PayloadTooLarge, result.Error!.Code);
    }

    [Fact]
    public async Task Type_of_another_action_is_ignored_on_the_mes_bus_and_dead_lettered_on_a_collector_queue()
    {
        var body = PipelineHarness.OrderCreated().Replace("order.created", "order.confirmed", StringComparison.Ordinal)
            .Replace("\"lineItems\"", "\"shippingAddressId\": \"a-1\", \"lineItems\"", StringComparison.Ordinal);

        var onMes = await _harness.ProcessAsync(body, new ScriptedAction(bus: EventBus.Mes));
        var onCollector = await _harness.ProcessAsync(body, new ScriptedAction(bus: EventBus.Collector));

        Assert.Equal(ProcessingStatus.Ignored, onMes.Status);
        Assert.Equal(ProcessingStatus.DeadLettered, onCollector.Status);
        Assert.Contains("order.confirmed", onCollector.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_input_found_by_the_action_dead_letters_and_its_duplicates_do_too()
    {
        var action = new ScriptedAction((_, _) => throw EventValidationException.Invalid("unknown product p-1", "$.data.lineItems[0].productId"));

        var first = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);
        var again = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        Assert.Equal(ProcessingStatus.DeadLettered, first.Status);
        Assert.Equal("unknown product p-1", first.Error!.Message);
        Assert.Equal(ProcessingStatus.DeadLettered, again.Status);
        Assert.Equal(first.Error, again.Error);
        Assert.Equal(1, action.Runs);
    }

    [Fact]
    public async Task Transient_failure_retries_and_the_next_delivery_runs_at_once()
    {
        var action = new ScriptedAction((_, run) => run == 1 ? throw new TransientProcessingException("order snapshot not there yet") : Task.CompletedTask);

        var first = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);
        var second = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        Assert.Equal(ProcessingStatus.Retry, first.Status);
        Assert.Contains("snapshot", first.RetryReason, StringComparison.Ordinal);
        Assert.Equal(ProcessingStatus.Completed, second.Status);
        Assert.Equal(2, action.Runs);
    }

    [Fact]
    public async Task Crash_between_handling_and_completion_reruns_after_the_lease_with_the_same_follow_on_ids()
    {
        var dead = new WorkerDiesAtCompletion(_harness.Store);
        var action = new ScriptedAction();
        Task<ProcessingResult> Deliver(IIdempotencyStore store) => new EventPipeline(store, Microsoft.Extensions.Options.Options.Create(_harness.Options),
            _harness.Time, _harness.Logger).ProcessAsync(new InboundMessage(Encoding.UTF8.GetBytes(PipelineHarness.OrderCreated())), action, CancellationToken.None);
        var next = _harness.CreateStore(); // the next worker process

        var crashed = await Deliver(dead);      // handled, then the worker died before completing
        var whileLeased = await Deliver(next);  // the dead worker's lease still protects the event
        _harness.Time.Advance(_harness.Options.LeaseDuration + TimeSpan.FromSeconds(1));
        var afterLease = await Deliver(next);   // taken over and handled again
        var duplicate = await Deliver(next);

        Assert.Equal(ProcessingStatus.Retry, crashed.Status);
        Assert.Equal(ProcessingStatus.Retry, whileLeased.Status);
        Assert.Equal(ProcessingStatus.Completed, afterLease.Status);
        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(2, action.Runs);
        Assert.Equal(dead.Lost!.Events.Select(e => e.Id), afterLease.Outcome.Events.Select(e => e.Id));
    }

    [Fact]
    public async Task Confidential_payloads_are_never_logged_and_internal_ones_are()
    {
        var secret = PipelineHarness.OrderCreated("ORD-SECRET-4711");
        var confidential = "{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"orders-service\",\"type\":\"order.created\",\"dataclassification\":\"confidential\",\"data\":"
            + JsonDocument.Parse(secret).RootElement.GetProperty("data").GetRawText() + "}";
        var internalOne = confidential.Replace("confidential", "internal", StringComparison.Ordinal).Replace("\"e-1\"", "\"e-2\"", StringComparison.Ordinal);

        await _harness.ProcessAsync(confidential, new ScriptedAction());
        Assert.DoesNotContain("ORD-SECRET-4711", _harness.Logger.AllText, StringComparison.Ordinal);

        await _harness.ProcessAsync(internalOne, new ScriptedAction());
        Assert.Contains("ORD-SECRET-4711", _harness.Logger.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_entries_carry_the_event_scope()
    {
        var action = new ScriptedAction();
        var result = await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);

        var scope = _harness.Logger.Entries.SelectMany(e => e.Scopes).OfType<IReadOnlyDictionary<string, object?>>().First();
        Assert.Equal(result.Event!.Id, scope["EventId"]);
        Assert.Equal("order.created", scope["EventType"]);
        Assert.Equal("corr-123", scope["CorrelationId"]);
        Assert.Equal("tenant-123", scope["TenantId"]);
    }

    [Fact]
    public async Task Handled_and_duplicate_events_log_at_debug_and_dead_letters_stay_warnings()
    {
        var action = new ScriptedAction();
        await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);
        await _harness.ProcessAsync(PipelineHarness.OrderCreated(), action);
        await _harness.ProcessAsync(PipelineHarness.OrderCreated(quantity: "\"five\""), action);

        var entries = _harness.Logger.Entries.ToArray();
        Assert.DoesNotContain(entries, e => e.Level == LogLevel.Information);
        Assert.Contains(entries, e => e.Level == LogLevel.Debug && e.Message.Contains("handled order.created", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == LogLevel.Debug && e.Message.Contains("suppressed duplicate order.created", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == LogLevel.Warning && e.Message.Contains("dead-lettered order.created", StringComparison.Ordinal));
    }

    /// <summary>A worker that dies between handling and completing: neither its completion nor its release reaches the store.</summary>
    private sealed class WorkerDiesAtCompletion(IIdempotencyStore inner) : IIdempotencyStore
    {
        public ProcessingOutcome? Lost { get; private set; }

        public Task<ClaimResult> ClaimAsync(IdempotencyKey key, string eventType, bool rerunDeadLettered = false, CancellationToken cancellationToken = default) =>
            inner.ClaimAsync(key, eventType, rerunDeadLettered, cancellationToken);
        public Task<IdempotencyClaim?> RenewAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default) => inner.RenewAsync(claim, cancellationToken);
        public Task<bool> CompleteAsync(IdempotencyClaim claim, ProcessingOutcome outcome, CancellationToken cancellationToken = default)
        {
            Lost = outcome;
            throw new TimeoutException("worker died");
        }
        public Task MarkPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => inner.MarkPublishedAsync(key, cancellationToken);
        public Task MarkFollowOnsPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => inner.MarkFollowOnsPublishedAsync(key, cancellationToken);
        public Task ReleaseAsync(IdempotencyClaim claim, string error, CancellationToken cancellationToken = default) => throw new TimeoutException("worker died");
        public Task DeadLetterAsync(IdempotencyClaim claim, EventError error, CancellationToken cancellationToken = default) => inner.DeadLetterAsync(claim, error, cancellationToken);
        public Task<int> SweepAsync(CancellationToken cancellationToken = default) => inner.SweepAsync(cancellationToken);
    }
}
