using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Telemetry;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>
/// The JSON form the Kafka output binding reads key and headers from: all six keys <c>Offset, Partition,
/// Topic, Timestamp, Value, Headers</c> must be present, plus <c>Key</c>; <c>Value</c> is a string and each
/// header value a plain string (functions-api.md §2). The host ignores Offset, Partition and Timestamp.
/// </summary>
public sealed record KafkaOutputMessage(long Offset, int Partition, string Topic, DateTime Timestamp, string Value, string? Key, KafkaOutputHeader[] Headers);

public sealed record KafkaOutputHeader(string Key, string Value);

/// <summary>Kafka records in and out.</summary>
internal static class KafkaMessages
{
    private static readonly JsonSerializerOptions OutputJson = new() { PropertyNamingPolicy = null };

    /// <summary>Value as the body, key as the partition key, headers as strings (binary-mode <c>ce_*</c> attributes travel there).</summary>
    public static InboundMessage ToInbound(KafkaRecord record)
    {
        var headers = Headers(record);
        headers.TryGetValue("content-type", out var contentType);
        return new InboundMessage(record.Value ?? [], headers, contentType, Key: Text(record.Key)) { MessagingSystem = "kafka" };
    }

    /// <summary>
    /// A follow-on event for the <c>mes-events</c> output: structured CloudEvent, key = partition key, and in the record's
    /// headers the <c>traceparent</c>/<c>tracestate</c> of its producer span (else the event's own), as the worker's Kafka
    /// publishes carry them, so a consumer's span links to it without reading the body. The span marks the hand-off to
    /// the output binding, which produces the record after the function returned.
    /// </summary>
    public static string Output(CloudEvent e, DateTimeOffset now)
    {
        using var span = MessageTracing.StartPublish("kafka", Destinations.MesTopic, e);
        return Serialize(Encoding.UTF8.GetString(e.ToJsonBytes()), e.PartitionKey ?? e.Subject ?? e.Id, (e.Time ?? now).UtcDateTime, Destinations.MesTopic,
            [new KafkaOutputHeader("content-type", CloudEvent.JsonContentType), .. MessageTracing.TraceHeaders(span, e).Select(h => new KafkaOutputHeader(h.Key, h.Value))]);
    }

    /// <summary>A dead letter for <c>mes-events.dead-letter</c>, keyed like the original record.</summary>
    public static string DeadLetter(ConsumerDefinition consumer, KafkaRecord record, string code, string message, string? path, int attempts, DateTimeOffset now)
    {
        var original = KafkaOriginal.Create(record.Topic ?? Destinations.MesTopic, record.Partition, record.Offset, Text(record.Key), Headers(record), record.Value,
            record.Timestamp is { UnixTimestampMs: > 0 } t ? DateTimeOffset.FromUnixTimeMilliseconds(t.UnixTimestampMs) : null);
        var deadLetter = new KafkaDeadLetter(new DeadLetterReason(code, message, path), consumer.Name, consumer.Queue, attempts, original, now);
        return Serialize(deadLetter.ToJson(), original.Key, now.UtcDateTime, Destinations.MesDeadLetterTopic,
            [new KafkaOutputHeader("content-type", "application/json")]);
    }

    private static string Serialize(string value, string? key, DateTime timestamp, string topic, KafkaOutputHeader[] headers) =>
        JsonSerializer.Serialize(new KafkaOutputMessage(0, 0, topic, timestamp, value, key, headers), OutputJson);

    private static Dictionary<string, string> Headers(KafkaRecord record)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in record.Headers ?? [])
            if (header?.Key is { } key && Text(header.Value) is { } text)
                headers[key] = text;
        return headers;
    }

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);
}
