using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>An inspection opened for a work order's output (FINAL: the completed quantity of a finished work order).</summary>
[SqlTable("Inspections")]
public sealed record Inspection
{
    /// <summary>Derived from the tenant, work order and inspection type: one final inspection per work order.</summary>
    public required string InspectionId { get; init; }
    public required string TenantId { get; init; }
    public required string InspectionNumber { get; init; }
    public required string InspectionType { get; init; }
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public string? PartId { get; init; }
    public string? PartNumber { get; init; }
    public string? LotNumber { get; init; }
    public required decimal QuantityToInspect { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A non-conformance report opened for the quantity a failed inspection rejected.</summary>
[SqlTable("Ncrs")]
public sealed record Ncr
{
    /// <summary>Derived from the tenant and the failed inspection: one NCR per inspection.</summary>
    public required string NcrId { get; init; }
    public required string TenantId { get; init; }
    public required string NcrNumber { get; init; }
    public required string InspectionId { get; init; }
    public required string InspectionNumber { get; init; }
    public required string WorkOrderId { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public required decimal QuantityInspected { get; init; }
    public required decimal QuantityRejected { get; init; }
    public required string Description { get; init; }
    public required string Status { get; init; }
    public required string DetectedBy { get; init; }
    public required DateTimeOffset DetectedAt { get; init; }
}
