using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Payroll;

/// <summary>
/// Hours a resource worked on a completed task, to bill. Keyed by (tenant, task, resource): a task completed
/// again (reopened and finished) upserts its latest hours rather than adding a second entry.
/// </summary>
[SqlTable("BillableHours")]
public sealed record BillableHours
{
    public required string BillableHoursId { get; init; }
    public required string TenantId { get; init; }
    public required string ResourceId { get; init; }
    public required string TaskId { get; init; }
    public required string TaskName { get; init; }
    public required string ProjectId { get; init; }
    public required string ProjectName { get; init; }
    public required decimal Hours { get; init; }
    /// <summary>The task's estimate, to compare with what was worked; null when it had none.</summary>
    public decimal? EstimatedHours { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}
