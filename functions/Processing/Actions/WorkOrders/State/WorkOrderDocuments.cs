using System.Text.Json.Serialization;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.WorkOrders.State;

/// <summary>
/// What Material and WorkOrders keep of one work order: the part fields cached on it for display (seed 001's
/// cache synchronisation pattern), the material reserved for it and whether it is still open. ReserveMaterial
/// creates it from work-order.created; UpdateInventory closes it on work-order.completed (and, when the completion
/// is processed first, creates it closed, so that a late creation reserves nothing); SyncPartReference refreshes
/// the cached part on open work orders only, so a closed work order keeps the part as it was produced.
/// </summary>
public sealed record WorkOrderDocument
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required string PartId { get; init; }
    public required CachedPart Part { get; init; }

    /// <summary>From work-order.created; null while only the completion has been seen.</summary>
    public decimal? Quantity { get; init; }
    public DateTimeOffset? DueDate { get; init; }
    public string? Priority { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Set once by ReserveMaterial; null when the work order was closed before its creation was processed.</summary>
    public WorkOrderReservation? Reservation { get; init; }

    /// <summary>Set once by UpdateInventory when the work order completes.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    [JsonIgnore]
    public bool IsOpen => CompletedAt is null;

    /// <summary>This document with <paramref name="part"/> cached, if it is newer than the cached part.</summary>
    public WorkOrderDocument WithNewerPart(CachedPart part) =>
        part.Stamp is { } stamp && stamp.IsNewerThan(Part.Stamp) ? this with { Part = part } : this;
}

/// <summary>
/// The part fields a work order displays. <see cref="Stamp"/> is the part update they came from; null while
/// they are the part number the work order was created or completed with (any part update is newer).
/// </summary>
public sealed record CachedPart
{
    public required string PartNumber { get; init; }
    public string? PartName { get; init; }
    public string? Revision { get; init; }
    public EventStamp? Stamp { get; init; }

    public static CachedPart From(PartReference reference) => new()
    {
        PartNumber = reference.PartNumber,
        PartName = reference.PartName,
        Revision = reference.Revision,
        Stamp = reference.Stamp,
    };
}

/// <summary>The material reserved for a work order, and the event that reserved it (only it may announce it again).</summary>
public sealed record WorkOrderReservation
{
    public required string EventId { get; init; }
    public required DateTimeOffset ReservedAt { get; init; }
    public required IReadOnlyList<WorkOrderReservationLine> Lines { get; init; }
}

public sealed record WorkOrderReservationLine
{
    public required int LineNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required decimal Quantity { get; init; }
    public string? LotNumber { get; init; }
}

/// <summary>
/// Work-order documents (table <c>WorkOrders</c>, one per (tenant, work order id)) and the index of work orders
/// by part (table <c>PartWorkOrders</c>: a partition per (tenant, part id), a row per work order) that a part update walks.
/// </summary>
public sealed class WorkOrderDocuments(ITableServiceClient tables)
{
    public const string TableName = "WorkOrders";
    public const string PartIndexTableName = "PartWorkOrders";

    private readonly StateStore<WorkOrderDocument> _store = new(tables, TableName);
    private readonly StateTable _byPart = new(tables, PartIndexTableName);

    public async Task<WorkOrderDocument?> GetAsync(string tenant, string workOrderId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, workOrderId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <inheritdoc cref="StateStore{T}.UpdateAsync"/>
    public Task<TResult> UpdateAsync<TResult>(string tenant, string workOrderId, Func<WorkOrderDocument?, (WorkOrderDocument? Next, TResult Result)> decide, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, workOrderId, decide, cancellationToken);

    /// <summary>Lists the work order under its part. Written before the document, so a part update never misses an open work order.</summary>
    public Task IndexByPartAsync(string tenant, string partId, string workOrderId, CancellationToken cancellationToken) =>
        _byPart.SubmitAsync(PartPartition(tenant, partId), [StateWrite.Upsert(StateTable.Row(workOrderId), new PartWorkOrder(partId, workOrderId))], cancellationToken);

    /// <summary>The ids of every work order ever indexed under <paramref name="partId"/>, open or not.</summary>
    public async IAsyncEnumerable<string> WorkOrdersOfPartAsync(string tenant, string partId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var row in _byPart.ListAsync<PartWorkOrder>(PartPartition(tenant, partId), "", cancellationToken).ConfigureAwait(false))
            yield return row.WorkOrderId;
    }

    /// <summary>
    /// Caches the part's current reference data on the work order if it is open and the reference is newer than
    /// what it caches. Returns whether the document changed; a work order not (yet) stored is left alone.
    /// </summary>
    public Task<bool> RefreshPartAsync(string tenant, string workOrderId, PartReference reference, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, workOrderId, current =>
        {
            if (current is null || !current.IsOpen || current.PartId != reference.PartId) return (null, false);
            var next = current.WithNewerPart(CachedPart.From(reference));
            return (next, !ReferenceEquals(next, current));
        }, cancellationToken);

    private static string PartPartition(string tenant, string partId) => StateTable.Partition(tenant, StorageKeys.Escape(partId));

    private sealed record PartWorkOrder(string PartId, string WorkOrderId);
}
