using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventProcessors.Processing.Pipeline;

/// <summary>Why a message was dead-lettered: an <see cref="Contracts.EventErrorCode"/> or <c>RetriesExhausted</c>.</summary>
public sealed record DeadLetterReason(string Code, string Message, string? Path);

/// <summary>
/// What the Function App writes to <c>&lt;queue&gt;.dead-letter</c> for a Collector message that can never succeed: the
/// reason, the consumer, its queue and the original message (body, <c>message_id</c>, content type and application
/// headers, without the retry counters), so that <c>dead-letters replay</c> sends back to <see cref="Queue"/> the very
/// message that died: the same event id for an id-less event, the <c>cloudEvents_*</c> headers of a binary-mode event.
/// </summary>
public sealed record CollectorDeadLetter(DeadLetterReason Reason, string Consumer, string Queue, string OriginalBody, DateTimeOffset ReceivedAt,
    string? OriginalMessageId = null, string? OriginalContentType = null, IReadOnlyDictionary<string, string>? OriginalHeaders = null)
{
    public string ToJson() => JsonSerializer.Serialize(this, DeadLetterEnvelopes.Json);

    /// <summary>The envelope in <paramref name="body"/>, or null when the body is something else (a message the broker dead-lettered as it was).</summary>
    public static CollectorDeadLetter? TryRead(ReadOnlySpan<byte> body)
    {
        try
        {
            var letter = JsonSerializer.Deserialize<CollectorDeadLetter>(body, DeadLetterEnvelopes.Json);
            // Deserialization leaves absent members null; a message of another shape is not an envelope.
            return letter is { Reason.Code: not null, Consumer: not null, Queue: not null, OriginalBody: not null } ? letter : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The original record in an MES dead letter. <see cref="Value"/> is the UTF-8 text of the record's value,
/// or its base64 when it is not UTF-8 (then <see cref="ValueEncoding"/> is <c>base64</c>).
/// </summary>
public sealed record KafkaOriginal(string Topic, int Partition, long Offset, string? Key, IReadOnlyDictionary<string, string> Headers,
    string? Value, string ValueEncoding, DateTimeOffset? Timestamp)
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The record as a dead letter keeps it: its value as text when it is UTF-8, otherwise base64.</summary>
    public static KafkaOriginal Create(string topic, int partition, long offset, string? key, IReadOnlyDictionary<string, string> headers,
        byte[]? value, DateTimeOffset? timestamp)
    {
        if (value is null) return new(topic, partition, offset, key, headers, null, "utf-8", timestamp);
        try
        {
            return new(topic, partition, offset, key, headers, StrictUtf8.GetString(value), "utf-8", timestamp);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return new(topic, partition, offset, key, headers, Convert.ToBase64String(value), "base64", timestamp);
        }
    }

    /// <summary>The record's value as it was produced.</summary>
    public byte[]? ValueBytes() => Value is null ? null
        : ValueEncoding == "base64" ? Convert.FromBase64String(Value)
        : System.Text.Encoding.UTF8.GetBytes(Value);
}

/// <summary>
/// What both hosts write to <c>mes-events.dead-letter</c> for an MES record that can never succeed: the reason, the consumer and
/// its group, the attempt count and the original record with its coordinates and headers. <c>dead-letters list|replay</c> read it.
/// </summary>
public sealed record KafkaDeadLetter(DeadLetterReason Reason, string Consumer, string ConsumerGroup, int Attempts, KafkaOriginal Original, DateTimeOffset ReceivedAt)
{
    public string ToJson() => JsonSerializer.Serialize(this, DeadLetterEnvelopes.Json);

    /// <summary>The envelope in <paramref name="body"/>, or null when the body is something else.</summary>
    public static KafkaDeadLetter? TryRead(ReadOnlySpan<byte> body)
    {
        try
        {
            var letter = JsonSerializer.Deserialize<KafkaDeadLetter>(body, DeadLetterEnvelopes.Json);
            return letter is { Reason.Code: not null, Consumer: not null, ConsumerGroup: not null, Original.Topic: not null } ? letter : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The JSON of every dead-letter envelope: camelCase, nulls left out, text unescaped so bodies stay readable.</summary>
public static class DeadLetterEnvelopes
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

/// <summary>
/// The counters transports and hosts keep on a message while retrying it. A replay from a dead-letter queue strips them,
/// so the replayed message starts with the full retry budget.
/// </summary>
public static class RetryCounters
{
    /// <summary>The RabbitMQ trigger's redelivery count; it rejects the message once this reaches 5.</summary>
    public const string RabbitMQRequeueCount = "x-ms-rabbitmq-requeuecount";

    /// <summary>The Function App's attempts at a Collector message that failed transiently (its retry-queue round trips).</summary>
    public const string Attempts = "x-retry-count";

    /// <summary>The Function App's waits for a held lease or an unavailable store: not attempts, counted only to grow the wait.</summary>
    public const string Holds = "x-hold-count";

    public static bool IsCounter(string header) =>
        header.Equals(RabbitMQRequeueCount, StringComparison.OrdinalIgnoreCase)
        || header.Equals(Attempts, StringComparison.OrdinalIgnoreCase)
        || header.Equals(Holds, StringComparison.OrdinalIgnoreCase);
}
