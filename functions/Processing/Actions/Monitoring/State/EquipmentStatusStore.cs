using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Monitoring.State;

/// <summary>One status change of an equipment, dated by the event that reported it.</summary>
public sealed record EquipmentStatusChange(string EventId, string Status, string OldStatus, DateTimeOffset ChangedAt);

/// <summary>
/// An equipment's current status and every change reported, oldest first. Current is the change with the
/// latest (ChangedAt, EventId): a late, older event goes into history but never overwrites a newer current.
/// </summary>
public sealed record EquipmentStatus
{
    public required string EquipmentId { get; init; }
    public required EquipmentStatusChange Current { get; init; }
    public required IReadOnlyList<EquipmentStatusChange> History { get; init; }
}

/// <summary>Equipment status projections, one document per (tenant, equipment id), ETag-guarded.</summary>
public sealed class EquipmentStatusStore(ITableServiceClient tables)
{
    public const string TableName = "EquipmentStatus";

    private readonly StateStore<EquipmentStatus> _store = new(tables, TableName);

    public async Task<EquipmentStatus?> GetAsync(string tenant, string equipmentId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, equipmentId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Adds <paramref name="change"/> unless its event is already recorded; returns the projection after it.</summary>
    public Task<EquipmentStatus> ApplyAsync(string tenant, string equipmentId, EquipmentStatusChange change, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, equipmentId, current =>
        {
            if (current is not null && current.History.Any(c => c.EventId == change.EventId)) return (null, current);
            var history = (current?.History ?? []).Append(change).OrderBy(c => c.ChangedAt).ThenBy(c => c.EventId, StringComparer.Ordinal).ToArray();
            var next = new EquipmentStatus { EquipmentId = equipmentId, Current = history[^1], History = history };
            return (next, next);
        }, cancellationToken);
}
