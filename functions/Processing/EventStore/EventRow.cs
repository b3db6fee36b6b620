using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.EventStore;

/// <summary>
/// One row of <c>dbo.Events</c> (infra/sql/schema.sql), the Function App's SQL copy of the event store, written by the audit
/// functions' SQL output binding. Its key is (TenantId, Source, EventId), so the binding's upsert of a redelivered event
/// changes nothing: the row is always made from the event as first stored. Column names are the property names.
/// </summary>
[SqlTable("Events")]
public sealed record EventRow
{
    public required string TenantId { get; init; }
    public required string Source { get; init; }
    public required string EventId { get; init; }
    public required string Type { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required DateTimeOffset ArrivedAt { get; init; }
    public required string CorrelationId { get; init; }
    public string? CausationId { get; init; }
    public string? Entity { get; init; }
    public string? DataClassification { get; init; }
    public required string Payload { get; init; }
    public required string Bus { get; init; }
    public required string Destination { get; init; }
    public string? RoutingKey { get; init; }
    public int? KafkaPartition { get; init; }
    public long? KafkaOffset { get; init; }
    public required string Envelope { get; init; }
    public string? ReadError { get; init; }

    public static EventRow From(StoredEvent e) => new()
    {
        TenantId = e.Tenant, Source = e.Source, EventId = e.Id, Type = e.Type, OccurredAt = e.OccurredAt, ArrivedAt = e.ArrivedAt,
        CorrelationId = e.CorrelationId, CausationId = e.CausationId, Entity = e.Entity, DataClassification = e.Classification?.ToString(),
        Payload = e.Payload.ToString(), Bus = e.Transport.Bus, Destination = e.Transport.Destination, RoutingKey = e.Transport.RoutingKey,
        KafkaPartition = e.Transport.Partition, KafkaOffset = e.Transport.Offset, Envelope = e.Envelope, ReadError = e.ReadError,
    };
}
