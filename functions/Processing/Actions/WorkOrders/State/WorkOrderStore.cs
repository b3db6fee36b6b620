using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.WorkOrders.State;

/// <summary>The status of a work order as the processors know it.</summary>
public static class WorkOrderStatus
{
    /// <summary>Created and not yet completed: its cached part fields follow part updates.</summary>
    public const string Open = "OPEN";

    /// <summary>Completed: its cached part fields keep the history they were produced under.</summary>
    public const string Completed = "COMPLETED";
}

/// <summary>A work order with the part number and name cached on it (seed 001 part cache), and the event that created it.</summary>
public sealed record WorkOrderDocument
{
    public required string WorkOrderId { get; init; }
    public required string WorkOrderNumber { get; init; }
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public string? PartName { get; init; }
    public required decimal Quantity { get; init; }
    public required string Status { get; init; }
    public required string CreatedByEventId { get; init; }
}

/// <summary>The part reference data the work orders cache, as of the latest part update applied.</summary>
public sealed record PartReference
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required string PartName { get; init; }
    public string? Revision { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required string EventId { get; init; }

    /// <summary>Whether this reference is at least as recent as an update at (<paramref name="at"/>, <paramref name="eventId"/>).</summary>
    public bool IsAtLeast(DateTimeOffset at, string eventId) =>
        UpdatedAt > at || (UpdatedAt == at && string.CompareOrdinal(EventId, eventId) >= 0);
}

/// <summary>Index row: work order <see cref="WorkOrderId"/> is of part <see cref="PartId"/>.</summary>
public sealed record WorkOrderOfPart(string PartId, string WorkOrderId);

/// <summary>
/// Work orders (table WorkOrders, id = work order id), their index by part (table WorkOrdersByPart,
/// id = "{partId}/{workOrderId}") and part references (table PartReferences, id = part id); all by tenant.
/// </summary>
public sealed class WorkOrderStore(ITableServiceClient tables)
{
    private readonly StateStore<WorkOrderDocument> _workOrders = new(tables, "WorkOrders");
    private readonly StateStore<WorkOrderOfPart> _byPart = new(tables, "WorkOrdersByPart");
    private readonly StateStore<PartReference> _parts = new(tables, "PartReferences");

    public async Task<WorkOrderDocument?> GetAsync(string tenant, string workOrderId, CancellationToken cancellationToken) =>
        (await _workOrders.GetAsync(tenant, workOrderId, cancellationToken).ConfigureAwait(false))?.Value;

    public async Task<PartReference?> GetPartAsync(string tenant, string partId, CancellationToken cancellationToken) =>
        (await _parts.GetAsync(tenant, partId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Stores <paramref name="candidate"/> unless the work order exists; returns the stored document.</summary>
    public async Task<WorkOrderDocument> CreateAsync(string tenant, WorkOrderDocument candidate, CancellationToken cancellationToken)
    {
        // Index first: a part update that lists the index before the document exists is caught by RefreshAsync below.
        await _byPart.PutAsync(tenant, $"{candidate.PartId}/{candidate.WorkOrderId}", new WorkOrderOfPart(candidate.PartId, candidate.WorkOrderId), cancellationToken).ConfigureAwait(false);
        return await _workOrders.UpdateAsync(tenant, candidate.WorkOrderId,
            current => current is null ? (candidate, candidate) : (null, current), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies a part update unless a more recent one was applied; returns the reference now current.</summary>
    public Task<PartReference> UpdatePartAsync(string tenant, PartReference update, CancellationToken cancellationToken) =>
        _parts.UpdateAsync(tenant, update.PartId,
            current => current is not null && current.IsAtLeast(update.UpdatedAt, update.EventId) ? (null, current) : (update, update),
            cancellationToken);

    /// <summary>The ids of every work order of <paramref name="partId"/>.</summary>
    public IAsyncEnumerable<WorkOrderOfPart> ListOfPartAsync(string tenant, string partId, CancellationToken cancellationToken) =>
        _byPart.ListAsync(tenant, $"{partId}/", cancellationToken);

    /// <summary>Caches <paramref name="part"/>'s number and name on the work order if it is open and of that part.</summary>
    public Task<bool> RefreshAsync(string tenant, string workOrderId, PartReference part, CancellationToken cancellationToken) =>
        _workOrders.UpdateAsync(tenant, workOrderId, current =>
        {
            if (current is null || current.Status != WorkOrderStatus.Open || current.PartId != part.PartId) return (null, false);
            if (current.PartNumber == part.PartNumber && current.PartName == part.PartName) return (null, false);
            return (current with { PartNumber = part.PartNumber, PartName = part.PartName }, true);
        }, cancellationToken);

    /// <summary>Marks the work order completed; returns it (null if not known yet).</summary>
    public Task<WorkOrderDocument?> CompleteAsync(string tenant, string workOrderId, CancellationToken cancellationToken) =>
        _workOrders.UpdateAsync<WorkOrderDocument?>(tenant, workOrderId, current =>
        {
            if (current is null || current.Status == WorkOrderStatus.Completed) return (null, current);
            var completed = current with { Status = WorkOrderStatus.Completed };
            return (completed, completed);
        }, cancellationToken);
}
