using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Traceability;

/// <summary>One step in a lot's or serial's history; id derived from the MES event it was recorded from.</summary>
[SqlTable("TraceabilityEvents")]
public sealed record TraceabilityEvent
{
    public required string TraceabilityEventId { get; init; }
    public required string TenantId { get; init; }
    public required string Activity { get; init; }
    public required string SourceEventId { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    /// <summary>The serial numbers, comma-separated (null when none).</summary>
    public string? SerialNumbers { get; init; }
    public string? WorkOrderId { get; init; }
    public decimal? Quantity { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
