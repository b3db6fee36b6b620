namespace EventProcessors.Contracts;

/// <summary>
/// A message as a transport hands it over, before any interpretation: the body and the transport
/// metadata the envelope readers need (binary-mode CloudEvents attributes live in headers).
/// </summary>
/// <param name="Body">The raw message body.</param>
/// <param name="Headers">Kafka headers or AMQP application properties, as strings (case-insensitive).</param>
/// <param name="ContentType">The transport's content type, if it has one (AMQP <c>content_type</c>, Kafka <c>content-type</c> header).</param>
/// <param name="MessageId">AMQP <c>message_id</c>; used as the event id of an id-less event.</param>
/// <param name="Key">Kafka record key (the partition key), if any.</param>
public sealed record InboundMessage(
    ReadOnlyMemory<byte> Body,
    IReadOnlyDictionary<string, string>? Headers = null,
    string? ContentType = null,
    string? MessageId = null,
    string? Key = null)
{
    /// <summary>
    /// The header a replay from a dead-letter queue carries (<c>dead-letters replay</c>): how often an operator has
    /// sent the message back after fixing what made it fail.
    /// </summary>
    public const string ReplayCountHeader = "x-replay-count";

    /// <summary>
    /// An operator replayed this message from a dead-letter queue once its cause was fixed (missing master data, a
    /// validation rule corrected): an event dead-lettered before is run again rather than dead-lettered again.
    /// </summary>
    public bool IsReplay => Count(ReplayCountHeader) > 0;

    /// <summary>A counting header (<see cref="ReplayCountHeader"/>, a trigger's redelivery count) as a number; 0 when absent or not a number.</summary>
    public int Count(string header) => HeadersOrEmpty.TryGetValue(header, out var text)
        && int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var count)
        ? count
        : 0;

    /// <summary>The transport that delivered it, as OpenTelemetry's <c>messaging.system</c> (<c>rabbitmq</c>, <c>kafka</c>), if it said.</summary>
    public string? MessagingSystem { get; init; }

    public IReadOnlyDictionary<string, string> HeadersOrEmpty =>
        Headers ?? EmptyHeaders;

    private static readonly IReadOnlyDictionary<string, string> EmptyHeaders =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}
