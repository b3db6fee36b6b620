using System.Text.Json.Serialization;

namespace EventProcessors.Contracts.Payloads.Mes;

/// <summary>What happened to the material that a traceability event records.</summary>
[JsonConverter(typeof(ExactEnumConverter<TraceabilityActivity>))]
public enum TraceabilityActivity
{
    [JsonStringEnumMemberName("RECEIVED")] Received,
    [JsonStringEnumMemberName("ISSUED")] Issued,
    [JsonStringEnumMemberName("PRODUCED")] Produced,
    [JsonStringEnumMemberName("INSPECTED")] Inspected,
}

/// <summary><c>traceability.event.created</c>: RecordGenealogy recorded one step in a lot's or serial's history.</summary>
public sealed record TraceabilityEventCreated
{
    public required string TraceabilityEventId { get; init; }
    public required TraceabilityActivity Activity { get; init; }
    /// <summary>The id of the MES event this step was recorded from.</summary>
    public required string SourceEventId { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public IReadOnlyList<string>? SerialNumbers { get; init; }
    public string? WorkOrderId { get; init; }
    public decimal? Quantity { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary><c>traceability.lot.genealogy.updated</c>: a lot gained parent lots (the material it was made from).</summary>
public sealed record TraceabilityLotGenealogyUpdated
{
    public required string LotNumber { get; init; }
    public string? PartId { get; init; }
    public string? WorkOrderId { get; init; }
    public required IReadOnlyList<ConsumedLot> ParentLots { get; init; }
}

/// <summary><c>traceability.serial.genealogy.updated</c>: a serial's parents (lots and serials) were recorded.</summary>
public sealed record TraceabilitySerialGenealogyUpdated
{
    public required string SerialNumber { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public string? WorkOrderId { get; init; }
    public IReadOnlyList<ConsumedLot>? ParentLots { get; init; }
    public IReadOnlyList<string>? ParentSerialNumbers { get; init; }
}

/// <summary><c>traceability.recall.initiated</c>: lots (and serials) are recalled.</summary>
public sealed record TraceabilityRecallInitiated
{
    public required string RecallId { get; init; }
    public required string RecallNumber { get; init; }
    public required string Reason { get; init; }
    public string? PartId { get; init; }
    public required IReadOnlyList<string> LotNumbers { get; init; }
    public IReadOnlyList<string>? SerialNumbers { get; init; }
    public required DateTimeOffset InitiatedAt { get; init; }
    public required string InitiatedBy { get; init; }
}
