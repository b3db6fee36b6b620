using System.Diagnostics;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Telemetry;

/// <summary>
/// W3C trace context on messages, the same for every transport: a follow-on is published inside a producer span that
/// continues the trace of the span that produced it, and carries that producer span's <c>traceparent</c> and
/// <c>tracestate</c> both as CloudEvents extensions (in the body) and as message headers (<see cref="TraceHeaders"/>:
/// AMQP application properties, Kafka headers). The consumer's span (<see cref="ProcessingTelemetry.StartProcessing"/>)
/// is the producer span's child, so one business flow is one trace across hops.
/// </summary>
public static class MessageTracing
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>The Kafka topic name MES consumer spans report as their destination.</summary>
    public const string MesTopic = Destinations.MesTopic;

    /// <summary>The <c>messaging.system</c> of a bus when the transport did not say: RabbitMQ for Collector, Kafka for MES.</summary>
    public static string SystemOf(EventBus bus) => bus == EventBus.Mes ? "kafka" : "rabbitmq";

    /// <summary>The producer's span context a message carries: the event's <c>traceparent</c>, else a plain header; default when neither parses.</summary>
    public static ActivityContext ParentOf(CloudEvent? e, InboundMessage message)
    {
        if (ActivityContext.TryParse(e?.TraceParent, e?.TraceState, isRemote: true, out var parent)) return parent;
        var headers = message.HeadersOrEmpty;
        headers.TryGetValue(TraceParentHeader, out var traceParent);
        headers.TryGetValue(TraceStateHeader, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent) ? parent : default;
    }

    /// <summary>
    /// Starts the producer span of publishing <paramref name="e"/> to <paramref name="destination"/> (an exchange or topic)
    /// and returns the event stamped with that span's context (unchanged when nobody listens). The span continues the
    /// event's own <c>traceparent</c> (the span that created it), else the current span.
    /// </summary>
    public static Activity? StartPublish(string system, string destination, CloudEvent e, out CloudEvent stamped)
    {
        var activity = StartSend(system, destination, e.Type, e.Id, e.CorrelationId ?? e.Id, e.Type, e.TenantId, ParentOf(e));
        stamped = activity is null ? e : e with { TraceParent = activity.Id, TraceState = activity.TraceStateString };
        return activity;
    }

    /// <summary>
    /// Starts a producer span for a message that is not a follow-on (a dead letter, a republished original): it continues
    /// <paramref name="parent"/>, or the current span when that is default.
    /// </summary>
    public static Activity? StartSend(string system, string destination, string? routingKey, string? messageId, string? conversationId,
        string? eventType, string? tenantId, ActivityContext parent = default)
    {
        var ambient = Activity.Current;
        ActivityLink[]? links = parent != default && ambient is not null && ambient.TraceId != parent.TraceId ? [new ActivityLink(ambient.Context)] : null;
        var activity = ProcessingTelemetry.ActivitySource.StartActivity($"publish {destination}", ActivityKind.Producer,
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
    /// The trace headers of a message carrying <paramref name="e"/>: <c>traceparent</c> and <c>tracestate</c> as written,
    /// or with a binary-mode prefix (<c>ce_</c> for Kafka, <c>cloudEvents_</c> for AMQP) when <paramref name="prefix"/> is given.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> TraceHeaders(CloudEvent e, string prefix = "")
    {
        if (e.TraceParent is { Length: > 0 } traceParent) yield return new(prefix + TraceParentHeader, traceParent);
        if (e.TraceState is { Length: > 0 } traceState) yield return new(prefix + TraceStateHeader, traceState);
    }

    private static ActivityContext ParentOf(CloudEvent e) =>
        ActivityContext.TryParse(e.TraceParent, e.TraceState, isRemote: true, out var parent) ? parent : default;
}
