using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Monitoring;

/// <summary>One equipment status change, as it happened (late changes included; the current status is the newest by ChangedAt).</summary>
[SqlTable("EquipmentStatusChanges")]
public sealed record EquipmentStatusChangeRecord
{
    /// <summary>Derived from the tenant and the change event.</summary>
    public required string ChangeId { get; init; }
    public required string TenantId { get; init; }
    public required string EquipmentId { get; init; }
    public required string OldStatus { get; init; }
    public required string NewStatus { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
    public required string EventId { get; init; }
}
