using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>
/// The original record in an MES dead letter. <see cref="Value"/> is the UTF-8 text of the record's value,
/// or its base64 when it is not UTF-8 (then <see cref="ValueEncoding"/> is <c>base64</c>).
/// </summary>
public sealed record KafkaOriginal(string Topic, int Partition, long Offset, string? Key, IReadOnlyDictionary<string, string> Headers,
    string? Value, string ValueEncoding, DateTimeOffset? Timestamp);

/// <summary>What an MES function writes to <c>mes-events.dead-letter</c>: the reason, the consumer, the attempt count and the original record.</summary>
public sealed record KafkaDeadLetter(DeadLetterReason Reason, string Consumer, string ConsumerGroup, int Attempts, KafkaOriginal Original, DateTimeOffset ReceivedAt);

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
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Value as the body, key as the partition key, headers as strings (binary-mode <c>ce_*</c> attributes travel there).</summary>
    public static InboundMessage ToInbound(KafkaRecord record)
    {
        var headers = Headers(record);
        headers.TryGetValue("content-type", out var contentType);
        return new InboundMessage(record.Value ?? [], headers, contentType, Key: Text(record.Key)) { MessagingSystem = "kafka" };
    }

    /// <summary>A follow-on event for the <c>mes-events</c> output: structured CloudEvent, key = partition key.</summary>
    public static string Output(CloudEvent e, DateTimeOffset now) => Serialize(
        Encoding.UTF8.GetString(e.ToJsonBytes()), e.PartitionKey ?? e.Subject ?? e.Id, (e.Time ?? now).UtcDateTime, Destinations.MesTopic,
        [new KafkaOutputHeader("content-type", CloudEvent.JsonContentType)]);

    /// <summary>A dead letter for <c>mes-events.dead-letter</c>, keyed like the original record.</summary>
    public static string DeadLetter(ConsumerDefinition consumer, KafkaRecord record, string code, string message, string? path, int attempts, DateTimeOffset now)
    {
        var (value, encoding) = Value(record.Value);
        var original = new KafkaOriginal(record.Topic ?? Destinations.MesTopic, record.Partition, record.Offset, Text(record.Key), Headers(record), value, encoding,
            record.Timestamp is { UnixTimestampMs: > 0 } t ? DateTimeOffset.FromUnixTimeMilliseconds(t.UnixTimestampMs) : null);
        var deadLetter = new KafkaDeadLetter(new DeadLetterReason(code, message, path), consumer.Name, consumer.Queue, attempts, original, now);
        return Serialize(JsonSerializer.Serialize(deadLetter, DeadLetterEnvelopes.Json), original.Key, now.UtcDateTime, Destinations.MesDeadLetterTopic,
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

    private static (string? Value, string Encoding) Value(byte[]? bytes)
    {
        if (bytes is null) return (null, "utf-8");
        try
        {
            return (StrictUtf8.GetString(bytes), "utf-8");
        }
        catch (DecoderFallbackException)
        {
            return (Convert.ToBase64String(bytes), "base64");
        }
    }
}
