using EventProcessors.Contracts;
namespace EventProcessors.LocalHost.Worker;

/// <summary>Headers a dead letter carries: why it died and where it was going, so it can be read and replayed.</summary>
public static class DeadLetterHeaders
{
    /// <summary>The reason: the error code, JSON path and message (<c>UnknownType at $.type: ...</c>).</summary>
    public const string Reason = "x-dead-letter-reason";
    /// <summary>The <see cref="Contracts.EventErrorCode"/> alone, or <c>RetriesExhausted</c>.</summary>
    public const string Code = "x-dead-letter-code";
    /// <summary>The JSON path of the offending field, when known.</summary>
    public const string Path = "x-dead-letter-path";
    /// <summary>The action that gave up on it.</summary>
    public const string Consumer = "x-dead-letter-consumer";
    /// <summary>The event id, when the envelope could be read.</summary>
    public const string EventId = "x-dead-letter-event-id";
    /// <summary>Processing attempts made.</summary>
    public const string Attempts = "x-dead-letter-attempts";
    public const string OriginalExchange = "x-original-exchange";
    public const string OriginalRoutingKey = "x-original-routing-key";
    /// <summary>The queue the message died in (RabbitMQ adds the same header when it dead-letters itself).</summary>
    public const string FirstDeathQueue = "x-first-death-queue";
    /// <summary>Set by the broker when it dead-letters (rejected, delivery_limit, expired).</summary>
    public const string FirstDeathReason = "x-first-death-reason";
    public const string FirstDeathExchange = "x-first-death-exchange";
    /// <summary>Set by the broker: the full history of a message's dead-lettering.</summary>
    public const string Death = "x-death";
    /// <summary>How many times a dead letter was replayed.</summary>
    public const string Replays = InboundMessage.ReplayCountHeader;

    /// <summary>Headers to drop when a dead letter is replayed (the replay starts a fresh life).</summary>
    public static bool IsDeadLetterHeader(string name) =>
        name.StartsWith("x-dead-letter-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-first-death-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-last-death-", StringComparison.OrdinalIgnoreCase)
        || name.Equals(Death, StringComparison.OrdinalIgnoreCase)
        || name.Equals(OriginalExchange, StringComparison.OrdinalIgnoreCase)
        || name.Equals(OriginalRoutingKey, StringComparison.OrdinalIgnoreCase);
}
