namespace EventProcessors.Contracts.Payloads.ManufacturingIntelligence;

/// <summary><c>equipment.status.changed</c> (seed 002, event notification example).</summary>
public sealed record EquipmentStatusChanged
{
    public required string EquipmentId { get; init; }
    /// <summary>Free text as the platform writes it, for example "operational" or "maintenance".</summary>
    public required string NewStatus { get; init; }
    public required string OldStatus { get; init; }
}

/// <summary><c>maintenance.scheduled</c> (named in seed 002, no payload shown).</summary>
public sealed record MaintenanceScheduled
{
    public required string MaintenanceId { get; init; }
    public required string EquipmentId { get; init; }
    public required string MaintenanceType { get; init; }
    public required DateTimeOffset ScheduledFor { get; init; }
    public string? Reason { get; init; }
}

/// <summary><c>production.order.started</c> (named in seed 002, no payload shown).</summary>
public sealed record ProductionOrderStarted
{
    public required string ProductionOrderId { get; init; }
    public required string ProductId { get; init; }
    public required decimal Quantity { get; init; }
    public string? EquipmentId { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
}
