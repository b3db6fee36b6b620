using EventProcessors.Contracts;

namespace EventProcessors.Processing.EventStore;

/// <summary>Where a message was seen: the bus and its transport coordinates (exchange/topic, routing key or Kafka key, partition, offset).</summary>
/// <param name="Bus">"collector" (RabbitMQ exchange <c>collector-events</c>) or "mes" (topic <c>mes-events</c>).</param>
/// <param name="Destination">The exchange or topic the message was published to.</param>
/// <param name="RoutingKey">The AMQP routing key, or the Kafka record key.</param>
/// <param name="Partition">Kafka partition, when the bus is Kafka.</param>
/// <param name="Offset">Kafka offset, when the bus is Kafka.</param>
public sealed record TransportInfo(string Bus, string Destination, string? RoutingKey = null, int? Partition = null, long? Offset = null)
{
    public const string CollectorBus = "collector";
    public const string MesBus = "mes";
}

/// <summary>What was kept of an event's <c>data</c>, decided by its data classification (<see cref="EventCapture"/>).</summary>
public enum PayloadRetention
{
    /// <summary>Public, internal or unclassified: the data is kept as it came.</summary>
    Kept,
    /// <summary>Confidential with a key configured: the data is kept AES-GCM encrypted; only a holder of the key can read or replay it.</summary>
    Encrypted,
    /// <summary>Restricted (always), or confidential without a key: the envelope is kept, the data is not.</summary>
    Omitted,
}

/// <summary>
/// One event as the event store keeps it: its identity (tenant, source, id), the attributes queries use, where and
/// when it was seen, and its envelope (CloudEvents JSON, with <c>data</c> only as <see cref="Payload"/> allows).
/// </summary>
public sealed record StoredEvent
{
    public required string Tenant { get; init; }
    public required string Source { get; init; }
    public required string Id { get; init; }
    public required string Type { get; init; }

    /// <summary>The event's own time, or its arrival when it carries none: what time ranges and entity histories order by.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>When the audit consumer first saw it.</summary>
    public required DateTimeOffset ArrivedAt { get; init; }

    /// <summary>The flow it belongs to: its correlation id, or its own id when it starts one.</summary>
    public required string CorrelationId { get; init; }
    public string? CausationId { get; init; }

    /// <summary>The entity it is about (the partition key: an order, a work order, an equipment), when known.</summary>
    public string? Entity { get; init; }

    public DataClassification? Classification { get; init; }
    public required PayloadRetention Payload { get; init; }
    public required TransportInfo Transport { get; init; }

    /// <summary>The CloudEvents JSON, data as <see cref="Payload"/> says (encrypted data travels base64 in <c>data_base64</c>).</summary>
    public required string Envelope { get; init; }

    /// <summary>Set when the message could not be read as an event: what was wrong (its body is not kept).</summary>
    public string? ReadError { get; init; }

    /// <summary>How many copies of it arrived (redeliveries and duplicates included); the store keeps one.</summary>
    public int Seen { get; init; } = 1;
}

/// <summary>A dead letter the audit consumer saw land in a dead-letter destination: which consumer gave up on which event, and why.</summary>
public sealed record StoredDeadLetter
{
    public required string Tenant { get; init; }
    public required string Source { get; init; }
    public required string EventId { get; init; }
    public required string CorrelationId { get; init; }
    public required string Consumer { get; init; }
    public required string Code { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset DeadLetteredAt { get; init; }

    /// <summary>The dead-letter queue or topic it was found in.</summary>
    public required string Destination { get; init; }
}
