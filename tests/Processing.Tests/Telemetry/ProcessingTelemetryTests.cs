using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Telemetry;
using EventProcessors.Processing.Tests.Pipeline;

namespace EventProcessors.Processing.Tests.Telemetry;

/// <summary>What the pipeline records on the product's Meter and ActivitySource, observed with the BCL's own listeners.</summary>
public sealed class ProcessingTelemetryTests : IDisposable
{
    private const string ProducerTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private readonly PipelineHarness _harness = new(new InMemoryTableServiceClient());
    private readonly TelemetryAction _action = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = [];
    private readonly List<Activity> _spans = [];
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private readonly HashSet<string> _consumers;

    public ProcessingTelemetryTests()
    {
        _consumers = [_action.Definition.Name];
        // Only this test's consumer: other tests run in parallel on the same static Meter and ActivitySource.
        _meters.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == ProcessingTelemetry.Name) l.EnableMeasurementEvents(instrument); };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Measured(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Measured(i, v, tags));
        _meters.Start();
        _activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ProcessingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if ((string?)a.GetTagItem(MessagingTags.Consumer) == _action.Definition.Name) lock (_spans) _spans.Add(a); },
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }

    [Fact]
    public async Task Handled_duplicates_and_dead_letters_are_counted_by_consumer_type_and_reason()
    {
        await ProcessAsync(PipelineHarness.OrderCreated());
        await ProcessAsync(PipelineHarness.OrderCreated());
        await ProcessAsync("{ not json");

        Assert.Equal(1, Count("eventprocessors.events.handled", EventTypes.Collector.OrderCreated));
        Assert.Equal(1, Count("eventprocessors.events.duplicates", EventTypes.Collector.OrderCreated));
        Assert.Equal(1, Count("eventprocessors.events.dead_letters", ProcessingTelemetry.UnknownType, reason: nameof(EventErrorCode.UnreadableJson)));
        Assert.Single(_measurements, m => m.Instrument == "eventprocessors.handler.duration");
        // The seed's order.created is from 2024; the clock handling it is later.
        var age = Assert.Single(_measurements, m => m.Instrument == "eventprocessors.event.age");
        Assert.InRange(age.Value, 1, double.MaxValue);
    }

    [Fact]
    public async Task Types_outside_the_catalog_collapse_into_one_tag_value()
    {
        foreach (var type in new[] { "order.teleported", "x-" + Guid.NewGuid(), "y-" + Guid.NewGuid() })
            await ProcessAsync($$$"""{"type":"{{{type}}}","timestamp":"2024-01-15T10:35:00.000Z","tenantId":"t","source":"s","data":{}}""");

        Assert.Equal(3, Count("eventprocessors.events.dead_letters", ProcessingTelemetry.UnknownType, reason: nameof(EventErrorCode.UnknownType)));
        Assert.All(_measurements, m => Assert.Contains(m.Tags["event_type"], EventCatalog.Definitions.Select(d => d.Type).Append(ProcessingTelemetry.UnknownType)));
    }

    [Fact]
    public async Task Transient_failures_count_as_retries()
    {
        var failing = new TelemetryAction(() => throw new TransientProcessingException("store throttled"));
        lock (_consumers) _consumers.Add(failing.Definition.Name);
        await _harness.ProcessAsync(PipelineHarness.OrderCreated(), failing);

        Assert.Contains(_measurements, m => m.Instrument == "eventprocessors.events.retries" && m.Tags["consumer"] == failing.Definition.Name);
    }

    [Fact]
    public async Task The_consumer_span_continues_the_producer_trace_carries_messaging_attributes_and_no_payload()
    {
        var body = PipelineHarness.OrderCreated().Replace("\"source\"", "\"dataclassification\": \"confidential\", \"note\": \"secret-7a1\", \"source\"", StringComparison.Ordinal);
        var result = await _harness.Pipeline.ProcessAsync(new InboundMessage(Encoding.UTF8.GetBytes(body),
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [MessageTracing.TraceParentHeader] = ProducerTrace },
            MessageId: "m-1") { MessagingSystem = "rabbitmq" }, _action, CancellationToken.None);

        var span = Assert.Single(_spans);
        Assert.Equal((ActivityKind.Consumer, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"),
            (span.Kind, span.TraceId.ToHexString(), span.ParentSpanId.ToHexString()));
        Assert.Equal(("rabbitmq", _action.Definition.Queue, "process", "m-1", "corr-123", "order.created", "tenant-123", "Completed"),
            ((string?)span.GetTagItem(MessagingTags.System), (string?)span.GetTagItem(MessagingTags.DestinationName), (string?)span.GetTagItem(MessagingTags.OperationType),
             (string?)span.GetTagItem(MessagingTags.MessageId), (string?)span.GetTagItem(MessagingTags.ConversationId), (string?)span.GetTagItem(MessagingTags.EventType),
             (string?)span.GetTagItem(MessagingTags.TenantId), (string?)span.GetTagItem(MessagingTags.Outcome)));
        Assert.DoesNotContain(span.TagObjects, t => t.Value?.ToString()?.Contains("secret-7a1", StringComparison.Ordinal) == true);
        // The follow-on was created inside the consumer span: its trace context is that span's.
        Assert.Equal(span.Id, Assert.Single(result.Outcome.Events).TraceParent);
    }

    [Fact]
    public void A_follow_on_is_published_in_a_producer_span_whose_context_its_headers_carry_and_keeps_its_own_in_the_body()
    {
        var followOn = new CloudEvent
        {
            Id = "e-1", Source = "/inventory", Type = EventTypes.Collector.StockReserved, CorrelationId = "corr-1", TenantId = "t-1",
            TraceParent = ProducerTrace, TraceState = "congo=t61rcWkgMzE",
        };

        Assert.Equal([KeyValuePair.Create("traceparent", ProducerTrace), KeyValuePair.Create("tracestate", "congo=t61rcWkgMzE")], MessageTracing.TraceHeaders(null, followOn));
        using (var span = MessageTracing.StartPublish("kafka", Destinations.MesTopic, followOn))
        {
            Assert.NotNull(span);
            Assert.Equal((ActivityKind.Producer, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"), (span.Kind, span.TraceId.ToHexString(), span.ParentSpanId.ToHexString()));
            Assert.Equal([KeyValuePair.Create("traceparent", span.Id!), KeyValuePair.Create("tracestate", "congo=t61rcWkgMzE")], MessageTracing.TraceHeaders(span, followOn));
            Assert.Equal([KeyValuePair.Create("ce_traceparent", ProducerTrace), KeyValuePair.Create("ce_tracestate", "congo=t61rcWkgMzE")], MessageTracing.TraceAttributes(followOn, "ce_"));
            // The consumer of that message is the publish span's child, whatever the body says.
            var delivered = new InboundMessage(followOn.ToJsonBytes(), MessageTracing.TraceHeaders(span, followOn).ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase));
            Assert.Equal(span.SpanId, MessageTracing.ParentOf(followOn, delivered).SpanId);
            Assert.Equal(("kafka", "send", "e-1", "corr-1"), ((string?)span.GetTagItem(MessagingTags.System), (string?)span.GetTagItem(MessagingTags.OperationType),
                (string?)span.GetTagItem(MessagingTags.MessageId), (string?)span.GetTagItem(MessagingTags.ConversationId)));
        }
    }

    private Task<ProcessingResult> ProcessAsync(string body) => _harness.ProcessAsync(body, _action);

    private long Count(string instrument, string eventType, string? reason = null) => (long)_measurements
        .Where(m => m.Instrument == instrument && m.Tags["event_type"] == eventType && (reason is null || m.Tags.GetValueOrDefault("reason") == reason))
        .Sum(m => m.Value);

    private void Measured<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct
    {
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in tags) map[tag.Key] = tag.Value?.ToString();
        lock (_consumers) if (map.GetValueOrDefault("consumer") is not { } consumer || !_consumers.Contains(consumer)) return;
        lock (_measurements) _measurements.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), map));
    }

    /// <summary>A Collector action with a name of its own, so its measurements can be told from those of tests running alongside.</summary>
    private sealed class TelemetryAction(Action? behaviour = null) : IConsumerAction
    {
        public ConsumerDefinition Definition { get; } = new("TelemetryProbe" + Guid.NewGuid().ToString("N")[..8], "inventory.telemetry-" + Guid.NewGuid().ToString("N")[..6],
            EventBus.Collector, [EventTypes.Collector.OrderCreated]) { Emits = [EventTypes.Collector.StockReserved] };

        public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
        {
            behaviour?.Invoke();
            context.Emit(EventTypes.Collector.StockReserved, new { orderId = "order-1" }, partitionKey: "order-1");
            return Task.CompletedTask;
        }
    }
}
