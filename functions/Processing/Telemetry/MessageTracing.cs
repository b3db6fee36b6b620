using System.Diagnostics;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Telemetry;

/// <summary>
/// W3C trace context on messages, the same for every transport. A follow-on's CloudEvents <c>traceparent</c>/<c>tracestate</c>
/// are those of the consumer span that created it (recorded with the outcome, so a replayed duplicate is byte for byte the
/// same event). It is published inside a producer span continuing that context, and the message carries the producer
/// span's context as <c>traceparent</c>/<c>tracestate</c> headers (<see cref="TraceHeaders(Activity?, CloudEvent)"/>: AMQP
/// application properties, Kafka headers). The consumer's span (<see cref="ProcessingTelemetry.StartProcessing"/>) is the
/// child of the header's context, else of the event's, so one business flow is one trace across hops.
/// </summary>
public static class MessageTracing
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>The Kafka topic name MES consumer spans report as their destination.</summary>
    public const string MesTopic = Destinations.MesTopic;

    /// <summary>The <c>messaging.system</c> of a bus when the transport did not say: RabbitMQ for Collector, Kafka for MES.</summary>
    public static string SystemOf(EventBus bus) => bus == EventBus.Mes ? "kafka" : "rabbitmq";

    /// <summary>
    /// The producer's span context a message carries: its <c>traceparent</c> header (the publish span), else the event's
    /// own (structured body or binary-mode attribute); default when neither parses.
    /// </summary>
    public static ActivityContext ParentOf(CloudEvent? e, InboundMessage message)
    {
        var headers = message.HeadersOrEmpty;
        headers.TryGetValue(TraceParentHeader, out var traceParent);
        headers.TryGetValue(TraceStateHeader, out var traceState);
        if (ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent)) return parent;
        return ActivityContext.TryParse(e?.TraceParent, e?.TraceState, isRemote: true, out parent) ? parent : default;
    }

    /// <summary>
    /// Starts the producer span of publishing <paramref name="e"/> to <paramref name="destination"/> (an exchange or topic),
    /// continuing the event's own <c>traceparent</c> (the span that created it), else the current span. Null when nobody listens.
    /// </summary>
    public static Activity? StartPublish(string system, string destination, CloudEvent e) => ProcessingTelemetry.ActivitySource.HasListeners()
        ? StartSend(system, destination, e.Type, e.Id, e.CorrelationId ?? e.Id, e.Type, e.TenantId, ParentOf(e))
        : null;

    /// <summary>
    /// Starts a producer span for a message that is not a follow-on (a dead letter, a republished original): it continues
    /// <paramref name="parent"/>, or the current span when that is default.
    /// </summary>
    public static Activity? StartSend(string system, string destination, string? routingKey, string? messageId, string? conversationId,
        string? eventType, string? tenantId, ActivityContext parent = default)
    {
        if (!ProcessingTelemetry.ActivitySource.HasListeners()) return null;
        var ambient = Activity.Current;
        ActivityLink[]? links = parent != default && ambient is not null && ambient.TraceId != parent.TraceId ? [new ActivityLink(ambient.Context)] : null;
        var activity = ProcessingTelemetry.ActivitySource.StartActivity(ProcessingTelemetry.SpanName("publish ", destination), ActivityKind.Producer,
            parent != default ? parent : ambient?.Context ?? default, links: links);
        if (activity is null) return null;
        activity.SetTag(MessagingTags.System, system);
        activity.SetTag(MessagingTags.DestinationName, destination);
        activity.SetTag(MessagingTags.OperationType, "send");
        activity.SetTag(MessagingTags.OperationName, "publish");
        if (routingKey is not null && system == "rabbitmq") activity.SetTag(MessagingTags.RoutingKey, routingKey);
        activity.SetTag(MessagingTags.MessageId, messageId);
        activity.SetTag(MessagingTags.ConversationId, conversationId);
        activity.SetTag(MessagingTags.EventType, eventType);
        activity.SetTag(MessagingTags.TenantId, tenantId);
        return activity;
    }

    /// <summary>Marks a publish span failed; the exception's message only (it never carries a payload).</summary>
    public static void Failed(Activity? activity, Exception exception) =>
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name + ": " + exception.Message);

    /// <summary>
    /// The <c>traceparent</c>/<c>tracestate</c> headers of a message carrying <paramref name="e"/>: the publish span's
    /// context, or the event's own when there is no span (nobody listens).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> TraceHeaders(Activity? publish, CloudEvent e) => publish is null
        ? Pairs(e.TraceParent, e.TraceState, "")
        : Pairs(publish.Id, publish.TraceStateString, "");

    /// <summary>
    /// The event's own trace attributes as binary-mode headers, <paramref name="prefix"/> being <c>ce_</c> (Kafka) or
    /// <c>cloudEvents_</c> (AMQP), for transports that carry CloudEvents in binary mode.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> TraceAttributes(CloudEvent e, string prefix) => Pairs(e.TraceParent, e.TraceState, prefix);

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string? traceParent, string? traceState, string prefix)
    {
        if (traceParent is { Length: > 0 }) yield return new(prefix + TraceParentHeader, traceParent);
        if (traceState is { Length: > 0 }) yield return new(prefix + TraceStateHeader, traceState);
    }

    private static ActivityContext ParentOf(CloudEvent e) =>
        ActivityContext.TryParse(e.TraceParent, e.TraceState, isRemote: true, out var parent) ? parent : default;
}
