using System.Globalization;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Monitoring.State;

/// <summary>An equipment's current status: the newest change by event time (then id), whatever order changes arrived in.</summary>
public sealed record EquipmentStatus
{
    public required string EquipmentId { get; init; }
    public required string Status { get; init; }
    /// <summary>The status the newest change says it left.</summary>
    public required string PreviousStatus { get; init; }
    public required EventStamp Stamp { get; init; }
}

/// <summary>One status change in an equipment's history, late ones included.</summary>
public sealed record EquipmentStatusChange
{
    public required string EquipmentId { get; init; }
    public required string OldStatus { get; init; }
    public required string NewStatus { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
    public required string EventId { get; init; }
}

/// <summary>
/// Current equipment status (table <c>EquipmentStatus</c>, one document per (tenant, equipment id), ETag-guarded) and
/// status history (table <c>EquipmentStatusHistory</c>, one row per change, keyed by equipment, time and event id, so
/// the history lists in time order, grows without bound and records a change once however often it is delivered).
/// </summary>
public sealed class EquipmentStatusStore(ITableServiceClient tables)
{
    public const string TableName = "EquipmentStatus";
    public const string HistoryTableName = "EquipmentStatusHistory";

    private readonly StateStore<EquipmentStatus> _current = new(tables, TableName);
    private readonly StateStore<EquipmentStatusChange> _history = new(tables, HistoryTableName);

    public async Task<EquipmentStatus?> CurrentAsync(string tenant, string equipmentId, CancellationToken cancellationToken = default) =>
        (await _current.GetAsync(tenant, equipmentId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Every recorded change of <paramref name="equipmentId"/>, oldest first.</summary>
    public async Task<IReadOnlyList<EquipmentStatusChange>> HistoryAsync(string tenant, string equipmentId, CancellationToken cancellationToken = default)
    {
        var changes = new List<EquipmentStatusChange>();
        await foreach (var change in _history.ListAsync(tenant, StorageKeys.Escape(equipmentId) + "|", cancellationToken).ConfigureAwait(false))
            changes.Add(change);
        return changes;
    }

    /// <summary>
    /// Forgets the equipment's current status and its history from <paramref name="since"/> on, so that replaying the
    /// changes since then rebuilds both (the newest change wins again; older history stays as it was).
    /// </summary>
    public async Task ResetAsync(string tenant, string equipmentId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        foreach (var change in await HistoryAsync(tenant, equipmentId, cancellationToken).ConfigureAwait(false))
            if (change.ChangedAt >= since) await _history.DeleteAsync(tenant, HistoryId(change), cancellationToken).ConfigureAwait(false);
        await _current.DeleteAsync(tenant, equipmentId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds <paramref name="change"/> to the history and makes it current unless a newer change is current; returns what is current.</summary>
    public async Task<EquipmentStatus> RecordAsync(string tenant, EquipmentStatusChange change, CancellationToken cancellationToken)
    {
        await _history.PutAsync(tenant, HistoryId(change), change, cancellationToken).ConfigureAwait(false);
        var stamp = new EventStamp(change.ChangedAt, change.EventId);
        return await _current.UpdateAsync(tenant, change.EquipmentId, current =>
        {
            if (!stamp.IsNewerThan(current?.Stamp)) return (null, current!);
            var next = new EquipmentStatus { EquipmentId = change.EquipmentId, Status = change.NewStatus, PreviousStatus = change.OldStatus, Stamp = stamp };
            return (next, next);
        }, cancellationToken).ConfigureAwait(false);
    }

    // Round-trip UTC time sorts as text in time order; the event id keeps changes at the same instant apart.
    private static string HistoryId(EquipmentStatusChange change) =>
        StorageKeys.Join(change.EquipmentId, change.ChangedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), change.EventId);
}
