using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.State;

/// <summary>
/// State that consumer actions read and change as one document per (tenant, id) in one table per kind (order
/// snapshots, accounts, part references...): each document is an entity of its own in a <see cref="StateTable"/>,
/// partitioned by tenant and id, so no call can reach another tenant's state and no two documents share a partition.
/// Every write is guarded by the ETag it read (optimistic concurrency). Kinds whose entities have rows of their own
/// use <see cref="EntityStore{TRoot}"/>. Thread-safe.
/// </summary>
public sealed class StateStore<T>(ITableServiceClient tables, string tableName) where T : class
{
    private readonly EntityStore<T> _entities = new(tables, tableName);

    public string TableName => _entities.Table.Name;

    public async Task<StateEntry<T>?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) =>
        await _entities.Table.GetAsync<T>(StateTable.Partition(tenant, StorageKeys.Escape(id)), EntityStore<T>.DocumentRow, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads the document, lets <paramref name="decide"/> choose its next value (null: leave it as it is) and
    /// a result for the caller, and writes it if nothing changed in between; on a conflict it reads again and
    /// decides again. Each decision therefore sees the latest state, and concurrent updates never lose one another.
    /// </summary>
    public Task<TResult> UpdateAsync<TResult>(string tenant, string id, Func<T?, (T? Next, TResult Result)> decide, CancellationToken cancellationToken = default) =>
        _entities.UpdateAsync(tenant, StorageKeys.Escape(id), [], (current, _) =>
        {
            var (next, result) = decide(current);
            return (next is null || ReferenceEquals(next, current) ? null : new EntityChange<T>(next), result);
        }, cancellationToken);

    /// <summary>Inserts <paramref name="value"/> unless a document exists, and returns the stored one: <see cref="EntityStore{TRoot}.AddOrGetAsync"/>.</summary>
    public Task<T> AddOrGetAsync(string tenant, string id, T value, CancellationToken cancellationToken = default) =>
        _entities.AddOrGetAsync(tenant, StorageKeys.Escape(id), value, cancellationToken);

    /// <summary>Writes the document unconditionally (for documents one event owns outright).</summary>
    public Task PutAsync(string tenant, string id, T value, CancellationToken cancellationToken = default) =>
        _entities.Table.SubmitAsync(StateTable.Partition(tenant, StorageKeys.Escape(id)), [StateWrite.Upsert(EntityStore<T>.DocumentRow, value)], cancellationToken);

    /// <summary>Deletes the document (rebuilding a projection); false when there was none.</summary>
    public Task<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken = default) =>
        _entities.Table.DeleteAsync(StateTable.Partition(tenant, StorageKeys.Escape(id)), EntityStore<T>.DocumentRow, cancellationToken);

    /// <summary>Every document of <paramref name="tenant"/> whose id starts with <paramref name="idPrefix"/>, in id order.</summary>
    public IAsyncEnumerable<T> ListAsync(string tenant, string idPrefix = "", CancellationToken cancellationToken = default) =>
        _entities.ListAsync(tenant, StorageKeys.Escape(idPrefix), cancellationToken);
}
