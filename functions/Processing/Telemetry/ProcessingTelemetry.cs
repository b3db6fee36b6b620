using System.Diagnostics;
using System.Diagnostics.Metrics;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Telemetry;

/// <summary>
/// The product's one ActivitySource and one Meter, both named <see cref="Name"/>. Hosts subscribe to
/// them (Application Insights in Azure, console/OTLP locally).
/// </summary>
public static class ProcessingTelemetry
{
    public const string Name = "EventProcessors";

    public static ActivitySource ActivitySource { get; } = new(Name, "1.0");

    public static Meter Meter { get; } = new(Name, "1.0");

    private static readonly Counter<long> Processed = Meter.CreateCounter<long>("eventprocessors.events.processed", "{event}", "Events handled to completion.");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("eventprocessors.events.duplicate", "{event}", "Redelivered events whose recorded outcome was replayed.");
    private static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("eventprocessors.events.dead_lettered", "{event}", "Events that can never succeed.");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("eventprocessors.events.failed", "{event}", "Attempts that failed transiently and will be retried.");
    private static readonly Histogram<double> HandlerDuration = Meter.CreateHistogram<double>("eventprocessors.handler.duration", "ms", "Time in the consumer action.");
    private static readonly Counter<long> TotalMismatches = Meter.CreateCounter<long>("eventprocessors.invoices.total_mismatch", "{invoice}",
        "Invoices whose total, computed from their lines, differs from the total the order or offer stated.");
    private static readonly Histogram<double> EventAge = Meter.CreateHistogram<double>("eventprocessors.event.age", "s", "Time from the event's creation to its processing.");

    /// <summary>Starts the span of one event, continuing the producer's trace when the event carries one.</summary>
    public static Activity? StartProcessing(ConsumerDefinition consumer, CloudEvent? e)
    {
        ActivityContext.TryParse(e?.TraceParent, e?.TraceState, isRemote: true, out var parent);
        var activity = ActivitySource.StartActivity($"process {consumer.Name}", ActivityKind.Consumer, parent);
        if (activity is null || e is null) return activity;
        activity.SetTag("messaging.consumer.group.name", consumer.Queue);
        activity.SetTag("cloudevents.event_id", e.Id);
        activity.SetTag("cloudevents.event_type", e.Type);
        activity.SetTag("cloudevents.event_source", e.Source);
        activity.SetTag("eventprocessors.correlation_id", e.CorrelationId);
        activity.SetTag("eventprocessors.tenant_id", e.TenantId);
        return activity;
    }

    /// <summary>Counts an invoice whose lines do not add up to the stated total; tagged by currency only (amounts are confidential).</summary>
    public static void RecordTotalMismatch(string currency) => TotalMismatches.Add(1, new KeyValuePair<string, object?>("currency", currency));

    public static void RecordResult(ConsumerDefinition consumer, ProcessingResult result, TimeSpan handlerTime, DateTimeOffset now)
    {
        var tags = new TagList { { "consumer", consumer.Queue }, { "event_type", result.Event?.Type ?? "unknown" } };
        switch (result.Status)
        {
            case ProcessingStatus.Completed:
                Processed.Add(1, tags);
                HandlerDuration.Record(handlerTime.TotalMilliseconds, tags);
                break;
            case ProcessingStatus.Duplicate: Duplicates.Add(1, tags); break;
            case ProcessingStatus.DeadLettered:
                tags.Add("reason", result.Error?.Code.ToString());
                DeadLettered.Add(1, tags);
                break;
            case ProcessingStatus.Retry: Failed.Add(1, tags); break;
        }
        if (result.Event?.Time is { } created && result.Status == ProcessingStatus.Completed)
            EventAge.Record(Math.Max(0, (now - created).TotalSeconds), tags);
        Activity.Current?.SetTag("eventprocessors.status", result.Status.ToString());
    }
}
