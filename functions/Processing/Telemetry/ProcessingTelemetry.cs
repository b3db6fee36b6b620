using System.Diagnostics;
using System.Diagnostics.Metrics;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Telemetry;

/// <summary>
/// The product's one ActivitySource and one Meter, both named <see cref="Name"/>, and everything the pipeline records
/// on them. Hosts subscribe to them through <see cref="TelemetrySetup"/> (Azure Monitor and/or OTLP).
/// Tag values are bounded: event types only from <see cref="EventCatalog"/> (anything else is <see cref="UnknownType"/>),
/// consumers are the registered actions, outcomes and reasons are enum names.
/// </summary>
public static class ProcessingTelemetry
{
    public const string Name = "EventProcessors";

    /// <summary>The one value every event type outside the catalog is counted under.</summary>
    public const string UnknownType = "unknown";

    public static ActivitySource ActivitySource { get; } = new(Name, "1.0");

    public static Meter Meter { get; } = new(Name, "1.0");

    private static readonly Counter<long> Handled = Meter.CreateCounter<long>(MetricNames.Handled, "{event}", "Events an action handled to completion.");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>(MetricNames.Duplicates, "{event}", "Redeliveries whose recorded outcome was replayed instead of running the action.");
    private static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(MetricNames.DeadLetters, "{event}", "Events moved to a dead-letter destination, by reason code.");
    private static readonly Counter<long> Retries = Meter.CreateCounter<long>(MetricNames.Retries, "{attempt}", "Attempts that failed transiently and are retried.");
    private static readonly Counter<long> LeaseWaits = Meter.CreateCounter<long>(MetricNames.LeaseWaits, "{attempt}", "Attempts that found another worker holding the event's lease.");
    private static readonly Histogram<double> HandlerDuration = Meter.CreateHistogram<double>(MetricNames.HandlerDuration, "ms", "Time spent in the consumer action.");
    private static readonly Counter<long> TotalMismatches = Meter.CreateCounter<long>(MetricNames.InvoiceTotalMismatch, "{invoice}",
        "Invoices whose total, computed from their lines, differs from the total the order or offer stated.");
    private static readonly Histogram<double> EventAge = Meter.CreateHistogram<double>(MetricNames.EventAge, "s", "Time from the event's creation to its handling.");

    /// <summary>The event type as a tag value: catalogued types as they are, everything else one value.</summary>
    public static string TypeTag(string? type) => type is not null && EventCatalog.IsKnown(type) ? type : UnknownType;

    /// <summary>
    /// Starts the consumer span of one message. Its parent is the producer's span: the event's <c>traceparent</c>
    /// (structured body or binary-mode header), else a plain <c>traceparent</c> header. A host span already running (the
    /// Functions invocation) is linked, so both traces lead to each other.
    /// </summary>
    public static Activity? StartProcessing(ConsumerDefinition consumer, CloudEvent? e, InboundMessage message)
    {
        if (!ActivitySource.HasListeners()) return null; // nobody traces: no parent to parse, no span name to make
        var parent = MessageTracing.ParentOf(e, message);
        var ambient = Activity.Current;
        ActivityLink[]? links = ambient is not null && ambient.TraceId != parent.TraceId ? [new ActivityLink(ambient.Context)] : null;
        var activity = ActivitySource.StartActivity(SpanName("process ", consumer.Name), ActivityKind.Consumer, parent, links: links);
        if (activity is null) return null;
        activity.SetTag(MessagingTags.System, message.MessagingSystem ?? MessageTracing.SystemOf(consumer.Bus));
        activity.SetTag(MessagingTags.DestinationName, consumer.Bus == EventBus.Mes ? MessageTracing.MesTopic : consumer.Queue);
        activity.SetTag(MessagingTags.OperationType, "process");
        activity.SetTag(MessagingTags.OperationName, "process");
        activity.SetTag(MessagingTags.ConsumerGroup, consumer.Queue);
        activity.SetTag(MessagingTags.Consumer, consumer.Name);
        activity.SetTag(MessagingTags.MessageId, message.MessageId ?? e?.Id);
        if (e is null) return activity;
        activity.SetTag(MessagingTags.ConversationId, e.CorrelationId ?? e.Id);
        activity.SetTag(MessagingTags.EventId, e.Id);
        activity.SetTag(MessagingTags.EventType, e.Type);
        activity.SetTag(MessagingTags.EventSource, e.Source);
        activity.SetTag(MessagingTags.TenantId, e.TenantId);
        return activity;
    }

    /// <summary>A span name (<c>process {consumer}</c>, <c>publish {destination}</c>), made once per name: there are a handful.</summary>
    internal static string SpanName(string operation, string target) =>
        SpanNames.GetOrAdd((operation, target), static key => key.Operation + key.Target);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Operation, string Target), string> SpanNames = new();

    /// <summary>Counts an invoice whose lines do not add up to the stated total; tagged by currency only (amounts are confidential).</summary>
    public static void RecordTotalMismatch(string currency) => TotalMismatches.Add(1, new KeyValuePair<string, object?>("currency", currency));

    /// <summary>Counts the pipeline's verdict and puts it on the current span.</summary>
    public static void RecordResult(ConsumerDefinition consumer, ProcessingResult result, TimeSpan handlerTime, DateTimeOffset now)
    {
        var tags = Tags(consumer, result.Event?.Type);
        switch (result.Status)
        {
            case ProcessingStatus.Completed:
                Handled.Add(1, tags);
                HandlerDuration.Record(handlerTime.TotalMilliseconds, tags);
                if (result.Event?.Time is { } created) EventAge.Record(Math.Max(0, (now - created).TotalSeconds), tags);
                break;
            case ProcessingStatus.Duplicate: Duplicates.Add(1, tags); break;
            case ProcessingStatus.DeadLettered: CountDeadLetter(tags, result.Error?.Code.ToString()); break;
            case ProcessingStatus.Retry when result.RetryAfter is not null: LeaseWaits.Add(1, tags); break;
            case ProcessingStatus.Retry: Retries.Add(1, tags); break;
        }
        if (Activity.Current is not { } activity) return;
        activity.SetTag(MessagingTags.Outcome, result.Status.ToString());
        if (result.Status == ProcessingStatus.DeadLettered) activity.SetStatus(ActivityStatusCode.Error, result.Error?.Code.ToString());
        else if (result.Status == ProcessingStatus.Retry && result.RetryAfter is null) activity.SetStatus(ActivityStatusCode.Error, "retry");
    }

    /// <summary>A dead letter a host decided on after the pipeline (retries exhausted): counted with its reason code.</summary>
    public static void RecordDeadLetter(ConsumerDefinition consumer, string? eventType, string reasonCode) =>
        CountDeadLetter(Tags(consumer, eventType), reasonCode);

    private static void CountDeadLetter(TagList tags, string? reasonCode)
    {
        tags.Add("reason", reasonCode ?? "Unknown");
        DeadLetters.Add(1, tags);
    }

    private static TagList Tags(ConsumerDefinition consumer, string? eventType) =>
        new() { { "consumer", consumer.Name }, { "event_type", TypeTag(eventType) } };
}

/// <summary>The instruments' names, as dashboards and alert rules (infra/azure/main.bicep) query them.</summary>
public static class MetricNames
{
    public const string Handled = "eventprocessors.events.handled";
    public const string Duplicates = "eventprocessors.events.duplicates";
    public const string DeadLetters = "eventprocessors.events.dead_letters";
    public const string Retries = "eventprocessors.events.retries";
    public const string LeaseWaits = "eventprocessors.events.lease_waits";
    public const string HandlerDuration = "eventprocessors.handler.duration";
    public const string EventAge = "eventprocessors.event.age";
    public const string InFlight = "eventprocessors.worker.in_flight";
    public const string QueueReady = "eventprocessors.queue.ready";
    public const string ConsumerLag = "eventprocessors.consumer.lag";
    public const string InvoiceTotalMismatch = "eventprocessors.invoices.total_mismatch";
}

/// <summary>Span attribute names: OpenTelemetry messaging conventions, then the product's own.</summary>
public static class MessagingTags
{
    public const string System = "messaging.system";
    public const string DestinationName = "messaging.destination.name";
    public const string OperationType = "messaging.operation.type";
    public const string OperationName = "messaging.operation.name";
    public const string ConsumerGroup = "messaging.consumer.group.name";
    public const string MessageId = "messaging.message.id";
    public const string ConversationId = "messaging.message.conversation_id";
    public const string RoutingKey = "messaging.rabbitmq.destination.routing_key";
    public const string EventId = "cloudevents.event_id";
    public const string EventType = "cloudevents.event_type";
    public const string EventSource = "cloudevents.event_source";
    public const string Consumer = "eventprocessors.consumer";
    public const string TenantId = "eventprocessors.tenant_id";
    public const string Outcome = "eventprocessors.outcome";
}
