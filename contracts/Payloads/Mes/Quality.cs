using System.Text.Json.Serialization;

namespace EventProcessors.Contracts.Payloads.Mes;

[JsonConverter(typeof(ExactEnumConverter<InspectionResult>))]
public enum InspectionResult
{
    [JsonStringEnumMemberName("PASS")] Pass,
    [JsonStringEnumMemberName("FAIL")] Fail,
}

/// <summary><c>quality.inspection.created</c>: CreateInspection opened the final inspection of a work order.</summary>
public sealed record QualityInspectionCreated
{
    public required string InspectionId { get; init; }
    public required string InspectionNumber { get; init; }
    public required string WorkOrderId { get; init; }
    /// <summary>"FINAL" for inspections of completed work orders (seed 000).</summary>
    public required string InspectionType { get; init; }
    public required decimal QuantityToInspect { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public IReadOnlyList<string>? SerialNumbers { get; init; }
}

/// <summary>
/// <c>quality.inspection.completed</c> (seed 000, InspectionService.completeInspection). Documented
/// fields are required; part, lot and serials are optional additions for RecordGenealogy.
/// </summary>
public sealed record QualityInspectionCompleted
{
    public required string InspectionId { get; init; }
    public required string InspectionNumber { get; init; }
    public required string WorkOrderId { get; init; }
    public required InspectionResult Result { get; init; }
    public required decimal QuantityInspected { get; init; }
    public required decimal QuantityAccepted { get; init; }
    public required decimal QuantityRejected { get; init; }
    public required bool NcrGenerated { get; init; }
    public required string InspectedBy { get; init; }
    public required DateTimeOffset InspectionDate { get; init; }

    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public IReadOnlyList<string>? SerialNumbers { get; init; }
}

/// <summary><c>quality.inspection.failed</c> (named in seed 000): an inspection rejected parts.</summary>
public sealed record QualityInspectionFailed
{
    public required string InspectionId { get; init; }
    public required string InspectionNumber { get; init; }
    public required string WorkOrderId { get; init; }
    public required decimal QuantityRejected { get; init; }
    public required string Reason { get; init; }
    public required string InspectedBy { get; init; }
    public required DateTimeOffset InspectionDate { get; init; }
}

/// <summary><c>quality.ncr.created</c>: RaiseNonConformance opened an NCR for the rejected quantity.</summary>
public sealed record QualityNcrCreated
{
    public required string NcrId { get; init; }
    public required string NcrNumber { get; init; }
    public required string InspectionId { get; init; }
    public required string WorkOrderId { get; init; }
    public required decimal QuantityRejected { get; init; }
    public required string Description { get; init; }
    public string? PartId { get; init; }
    public string? LotNumber { get; init; }
    public IReadOnlyList<string>? SerialNumbers { get; init; }
}

/// <summary><c>quality.ncr.closed</c> (named in seed 000).</summary>
public sealed record QualityNcrClosed
{
    public required string NcrId { get; init; }
    public required string NcrNumber { get; init; }
    /// <summary>What was done with the material (for example SCRAP, REWORK, USE_AS_IS).</summary>
    public required string Disposition { get; init; }
    public required DateTimeOffset ClosedAt { get; init; }
    public required string ClosedBy { get; init; }
}

/// <summary><c>quality.fai.approved</c> (named in seed 000): first article inspection passed.</summary>
public sealed record QualityFaiApproved
{
    public required string FaiId { get; init; }
    public required string FaiNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public string? WorkOrderId { get; init; }
    public required DateTimeOffset ApprovedAt { get; init; }
    public required string ApprovedBy { get; init; }
}

/// <summary><c>quality.fai.rejected</c> (named in seed 000): first article inspection failed.</summary>
public sealed record QualityFaiRejected
{
    public required string FaiId { get; init; }
    public required string FaiNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public string? WorkOrderId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset RejectedAt { get; init; }
    public required string RejectedBy { get; init; }
}
