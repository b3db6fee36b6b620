using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>The final inspection of a completed work order; id derived from the work order.</summary>
[SqlTable("Inspections")]
public sealed record Inspection
{
    public required string InspectionId { get; init; }
    public required string TenantId { get; init; }
    public required string InspectionNumber { get; init; }
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required string InspectionType { get; init; }
    public required decimal QuantityToInspect { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A non-conformance report for the rejected quantity of a failed inspection; id derived from the inspection.</summary>
[SqlTable("Ncrs")]
public sealed record Ncr
{
    public required string NcrId { get; init; }
    public required string TenantId { get; init; }
    public required string NcrNumber { get; init; }
    public required string InspectionId { get; init; }
    public required string InspectionNumber { get; init; }
    public required string WorkOrderId { get; init; }
    public required decimal QuantityRejected { get; init; }
    public required string Description { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
