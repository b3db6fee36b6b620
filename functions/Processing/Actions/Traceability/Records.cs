using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Traceability;

/// <summary>One step in the history of lots and serials: received, issued to a work order, produced, inspected.</summary>
[SqlTable("TraceabilityEvents")]
public sealed record TraceabilityEvent
{
    /// <summary>Derived from the tenant and the MES event it was recorded from.</summary>
    public required string TraceabilityEventId { get; init; }
    public required string TenantId { get; init; }
    public required string Activity { get; init; }
    public required string SourceEventId { get; init; }
    public required string SourceEventType { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public string? WorkOrderId { get; init; }
    public decimal? Quantity { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary>
/// A genealogy link: ChildType/ChildNumber (a produced lot or serial) was made by WorkOrderId from ParentType/ParentNumber.
/// Types are LOT or SERIAL. A recursive query over this table answers both recall questions.
/// </summary>
[SqlTable("GenealogyLinks")]
public sealed record GenealogyLink
{
    /// <summary>Derived from the tenant, parent and child: a link is one row however often it is recorded.</summary>
    public required string LinkId { get; init; }
    public required string TenantId { get; init; }
    public required string ParentType { get; init; }
    public required string ParentNumber { get; init; }
    public required string ChildType { get; init; }
    public required string ChildNumber { get; init; }
    public required string WorkOrderId { get; init; }
    public decimal? Quantity { get; init; }
    public required DateTimeOffset LinkedAt { get; init; }
}
