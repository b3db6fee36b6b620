using System.Text.Json;
using System.Text.Json.Serialization;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>Why a message was dead-lettered: an <see cref="Contracts.EventErrorCode"/> or <c>RetriesExhausted</c>.</summary>
public sealed record DeadLetterReason(string Code, string Message, string? Path);

/// <summary>
/// What a Collector function writes to <c>&lt;queue&gt;.dead-letter</c> for a message that can never succeed:
/// the reason, the consumer and the original body, so the message can be inspected and replayed.
/// </summary>
public sealed record CollectorDeadLetter(DeadLetterReason Reason, string Consumer, string Queue, string OriginalBody, DateTimeOffset ReceivedAt);

internal static class DeadLetters
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Collector(ConsumerDefinition consumer, string code, string message, string? path, string body, DateTimeOffset now) =>
        JsonSerializer.Serialize(new CollectorDeadLetter(new DeadLetterReason(code, message, path), consumer.Name,
            consumer.Queue, body, now), Json);

    /// <summary>The dead-letter queue of a Collector queue.</summary>
    public static string QueueOf(string queue) => Destinations.DeadLetterQueue(queue);
}
