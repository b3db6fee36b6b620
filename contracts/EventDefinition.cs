namespace EventProcessors.Contracts;

/// <summary>The platform that publishes an event type, which also fixes its transport and envelope.</summary>
public enum EventOrigin
{
    /// <summary>Collector business suite: RabbitMQ exchange <c>collector-events</c>.</summary>
    Collector,
    /// <summary>MES services: Kafka topic <c>mes-events</c>.</summary>
    Mes,
    /// <summary>Manufacturing-intelligence platform: event bus and event store.</summary>
    ManufacturingIntelligence,
}

/// <summary>What the catalog knows about one event type.</summary>
/// <param name="Type">The CloudEvents <c>type</c>.</param>
/// <param name="PayloadType">The record its <c>data</c> reads into.</param>
/// <param name="Origin">The publishing platform.</param>
/// <param name="BoundedContext">The domain that owns the event (for example "orders", "quality").</param>
/// <param name="Classification">Default data classification when the event does not state one.</param>
/// <param name="EntityIdOf">The natural partition key: the id of the entity the payload is about.</param>
public sealed record EventDefinition(
    string Type,
    Type PayloadType,
    EventOrigin Origin,
    string BoundedContext,
    DataClassification Classification,
    Func<object, string> EntityIdOf);
