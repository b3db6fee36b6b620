namespace EventProcessors.Contracts.Payloads.ManufacturingIntelligence;

/// <summary><c>quality.measurement.recorded</c> (seed 002, event-carried state transfer example).</summary>
public sealed record QualityMeasurementRecorded
{
    public required string EquipmentId { get; init; }
    /// <summary>What was measured, for example "dimension".</summary>
    public required string Parameter { get; init; }
    public required decimal Value { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>The producer's own verdict; MonitorMeasurement re-checks against the limits.</summary>
    public required bool IsWithinSpec { get; init; }
    public required decimal LowerLimit { get; init; }
    public required decimal UpperLimit { get; init; }
}

/// <summary>
/// <c>quality.check.failed</c> (named in seed 002): MonitorMeasurement found a measurement outside
/// its limits. Repeats the measurement so that consumers need not look it up.
/// </summary>
public sealed record QualityCheckFailed
{
    public required string EquipmentId { get; init; }
    public required string Parameter { get; init; }
    public required decimal Value { get; init; }
    public required decimal LowerLimit { get; init; }
    public required decimal UpperLimit { get; init; }
    public required DateTimeOffset MeasuredAt { get; init; }
    /// <summary>Which limit was crossed, in words (for example "above upper limit 11.0").</summary>
    public required string Reason { get; init; }
}
