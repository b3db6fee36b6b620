using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Telemetry;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Operations;

/// <summary>
/// flows.md <c>RouteOutbox</c>: every Collector function publishes its follow-on events (structured CloudEvents, with
/// confirms) to the queue <c>collector-events.outbox</c>, as DESIGN section 4 routes them, and this
/// function republishes each to the exchange <c>collector-events</c> with routing key = type and
/// message_id = id. It returns only after the broker confirmed the publish, and the trigger acknowledges the
/// outbox message only after the function returned: ack after confirm. A failed publish throws, so the
/// trigger redelivers (a duplicate publish is harmless: consumers are idempotent on the event id).
/// </summary>
public sealed class RouteOutboxFunction(IConfirmedPublisher publisher)
{
    public const string Queue = Destinations.CollectorOutbox;

    [Function("RouteOutbox")]
    public async Task RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var (id, type) = Read(message);
        var body = Encoding.UTF8.GetBytes(message);
        // The publish is a producer span continuing the trace of the function that wrote the follow-on; its context goes
        // in the traceparent/tracestate headers, so the consumer's span is its child. The body is republished unchanged.
        var e = Event(body);
        using var span = e is null ? null : MessageTracing.StartPublish("rabbitmq", Destinations.CollectorExchange, e);
        var headers = e is null ? null : MessageTracing.TraceHeaders(span, e).ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        await publisher.PublishAsync(Destinations.CollectorExchange, type,
            [new AmqpMessage(body, id, CloudEvent.JsonContentType, headers)], context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole event for its trace context; a message that has an id and type but does not read fully is still routed, untraced.</summary>
    private static CloudEvent? Event(byte[] body)
    {
        try { return JsonSerializer.Deserialize<CloudEvent>(body, ContractJson.Options); }
        catch (JsonException) { return null; }
    }

    /// <summary>The id and type of an outbox message (a structured CloudEvent the functions wrote themselves).</summary>
    internal static (string Id, string Type) Read(string message)
    {
        try
        {
            using var json = JsonDocument.Parse(message);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } idText
                && json.RootElement.TryGetProperty("type", out var type) && type.GetString() is { Length: > 0 } typeText)
                return (idText, typeText);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidOperationException("Outbox message is not a structured CloudEvent: " + ex.Message, ex);
        }
        throw new InvalidOperationException("Outbox message has no string 'id' and 'type'.");
    }
}
