using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventProcessors.Contracts;

/// <summary>
/// The canonical form of every event: CloudEvents 1.0, JSON structured mode, with the platform's
/// extension attributes. Every envelope shape the platform documents is normalised to this.
/// </summary>
public sealed record CloudEvent
{
    public const string JsonContentType = "application/cloudevents+json";

    [JsonPropertyName("specversion")] public string SpecVersion { get; init; } = "1.0";
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("time")] public DateTimeOffset? Time { get; init; }
    [JsonPropertyName("datacontenttype")] public string? DataContentType { get; init; } = "application/json";
    [JsonPropertyName("dataschema")] public string? DataSchema { get; init; }
    [JsonPropertyName("subject")] public string? Subject { get; init; }

    [JsonPropertyName("correlationid")] public string? CorrelationId { get; init; }
    [JsonPropertyName("causationid")] public string? CausationId { get; init; }
    [JsonPropertyName("tenantid")] public string? TenantId { get; init; }
    [JsonPropertyName("userid")] public string? UserId { get; init; }
    [JsonPropertyName("sessionid")] public string? SessionId { get; init; }
    [JsonPropertyName("dataclassification")] public DataClassification? DataClassification { get; init; }
    [JsonPropertyName("partitionkey")] public string? PartitionKey { get; init; }
    [JsonPropertyName("priority")] public EventPriority? Priority { get; init; }
    [JsonPropertyName("dataversion")] public string? DataVersion { get; init; }
    [JsonPropertyName("traceparent")] public string? TraceParent { get; init; }
    [JsonPropertyName("tracestate")] public string? TraceState { get; init; }

    /// <summary>The event payload, kept as JSON so that it round-trips byte for byte in meaning.</summary>
    [JsonPropertyName("data")] public JsonElement? Data { get; init; }

    /// <summary>Serialises this event in CloudEvents JSON structured mode.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ContractJson.Options);

    /// <summary>Reads the payload as <typeparamref name="T"/> with the contract serializer settings.</summary>
    public T? DataAs<T>() => Data is { } data ? data.Deserialize<T>(ContractJson.Options) : default;
}

// Exact names only: the default converter would also read 3 (or "3") as restricted and 2 as high.
[JsonConverter(typeof(ExactEnumConverter<DataClassification>))]
public enum DataClassification
{
    [JsonStringEnumMemberName("public")] Public,
    [JsonStringEnumMemberName("internal")] Internal,
    [JsonStringEnumMemberName("confidential")] Confidential,
    [JsonStringEnumMemberName("restricted")] Restricted,
}

[JsonConverter(typeof(ExactEnumConverter<EventPriority>))]
public enum EventPriority
{
    [JsonStringEnumMemberName("low")] Low,
    [JsonStringEnumMemberName("normal")] Normal,
    [JsonStringEnumMemberName("high")] High,
    [JsonStringEnumMemberName("critical")] Critical,
}
