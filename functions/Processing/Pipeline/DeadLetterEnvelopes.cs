using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventProcessors.Processing.Pipeline;

/// <summary>Why a message was dead-lettered: an <see cref="Contracts.EventErrorCode"/> or <c>RetriesExhausted</c>.</summary>
public sealed record DeadLetterReason(string Code, string Message, string? Path);

/// <summary>
/// What the Function App writes to <c>&lt;queue&gt;.dead-letter</c> for a Collector message that can never succeed: the
/// RabbitMQ output binding can set no headers, so the reason, the consumer, its queue and the original body travel in
/// the body. <c>dead-letters list</c> reads it and <c>dead-letters replay</c> sends <see cref="OriginalBody"/> back to
/// <see cref="Queue"/>.
/// </summary>
public sealed record CollectorDeadLetter(DeadLetterReason Reason, string Consumer, string Queue, string OriginalBody, DateTimeOffset ReceivedAt)
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

/// <summary>The JSON of every dead-letter envelope: camelCase, nulls left out, text unescaped so bodies stay readable.</summary>
public static class DeadLetterEnvelopes
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
