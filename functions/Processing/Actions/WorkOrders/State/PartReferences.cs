using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.WorkOrders.State;

/// <summary>
/// The reference data of one part as the material service last published it (seed 001's part cache entry).
/// <see cref="Stamp"/> is the material.part.updated it came from: an older update never replaces a newer one.
/// </summary>
public sealed record PartReference
{
    public required string PartId { get; init; }
    public required string PartNumber { get; init; }
    public required string PartName { get; init; }
    public string? Revision { get; init; }
    public string? UnitOfMeasure { get; init; }
    public required EventStamp Stamp { get; init; }
}

/// <summary>Part reference data in Table Storage (table <c>PartReferences</c>), one document per (tenant, part id).</summary>
public sealed class PartReferences(ITableServiceClient tables)
{
    public const string TableName = "PartReferences";

    private readonly StateStore<PartReference> _store = new(tables, TableName);

    public async Task<PartReference?> GetAsync(string tenant, string partId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, partId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Forgets the part's reference (rebuilding it by replay).</summary>
    public Task ForgetAsync(string tenant, string partId, CancellationToken cancellationToken) => _store.DeleteAsync(tenant, partId, cancellationToken);

    /// <summary>
    /// Stores what <paramref name="update"/> makes of the stored reference (null if none) unless a change newer than
    /// <paramref name="stamp"/> is stored; returns the reference that stands.
    /// </summary>
    public Task<PartReference> ApplyAsync(string tenant, string partId, EventStamp stamp, Func<PartReference?, PartReference> update, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, partId, current =>
        {
            if (!stamp.IsNewerThan(current?.Stamp)) return (null, current!);
            var next = update(current);
            return (next, next);
        }, cancellationToken);
}
