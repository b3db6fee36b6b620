using System.Text.Json;
using Azure;
using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.State;

/// <summary>A stored state document and the ETag it was read with.</summary>
public sealed record StateEntry<T>(T Value, ETag ETag);

/// <summary>
/// State that consumer actions read and change (stock levels, order snapshots, accounts, genealogy...):
/// one JSON document per (tenant, id) in one table per kind. PartitionKey is the tenant, so no call can
/// reach another tenant's state; every write is guarded by the ETag it read (optimistic concurrency).
/// Works over Table Storage, Azurite and the in-memory table alike. Thread-safe.
/// </summary>
public sealed class StateStore<T> where T : class
{
    // A string property holds at most 32K UTF-16 characters; longer documents span several properties.
    internal const int CharsPerProperty = 30_000;
    private const string PartsProperty = "DocumentParts";
    private const int MaxConflictRetries = 10;

    private readonly ITableClient _table;
    private volatile bool _tableReady;

    public StateStore(ITableServiceClient tables, string tableName) => _table = tables.GetTableClient(tableName);

    public string TableName => _table.Name;

    public async Task<StateEntry<T>?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var entity = await _table.GetEntityAsync(StorageKeys.Escape(tenant), StorageKeys.Escape(id), cancellationToken).ConfigureAwait(false);
        return entity is null ? null : new StateEntry<T>(Read(entity), entity.ETag);
    }

    /// <summary>
    /// Reads the document, lets <paramref name="decide"/> choose its next value (null: leave it as it is) and
    /// a result for the caller, and writes it if nothing changed in between; on a conflict it reads again and
    /// decides again. Each decision therefore sees the latest state, and concurrent updates never lose one another.
    /// </summary>
    public async Task<TResult> UpdateAsync<TResult>(string tenant, string id, Func<T?, (T? Next, TResult Result)> decide, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
            var (next, result) = decide(current?.Value);
            if (next is null || ReferenceEquals(next, current?.Value)) return result;
            try
            {
                var entity = Write(tenant, id, next);
                if (current is null) await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                else await _table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (RequestFailedException e) when ((e.IsConflict() || e.IsPreconditionFailed() || e.IsNotFound()) && attempt < MaxConflictRetries)
            {
                // Someone else wrote first: decide again on what they wrote.
                await Task.Delay(Random.Shared.Next(5, 20 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.IsConflict() || e.IsPreconditionFailed() || e.IsNotFound())
            {
                throw new TransientProcessingException($"{TableName}/{tenant}/{id} stayed contended after {MaxConflictRetries} attempts.", e);
            }
        }
    }

    /// <summary>Writes the document unconditionally (for documents one event owns outright).</summary>
    public async Task PutAsync(string tenant, string id, T value, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(Write(tenant, id, value), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the document (rebuilding a projection); false when there was none.</summary>
    public async Task<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        return await _table.DeleteEntityAsync(StorageKeys.Escape(tenant), StorageKeys.Escape(id), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every document of <paramref name="tenant"/> whose id starts with <paramref name="idPrefix"/>, in id order.</summary>
    public async IAsyncEnumerable<T> ListAsync(string tenant, string idPrefix = "",
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableFilter.Equal("PartitionKey", StorageKeys.Escape(tenant));
        if (idPrefix.Length > 0) filter &= TableFilter.StartsWith("RowKey", StorageKeys.Escape(idPrefix));
        await foreach (var entity in _table.QueryAsync(new TableQuery(filter), cancellationToken).ConfigureAwait(false))
            yield return Read(entity);
    }

    private static TableEntity Write(string tenant, string id, T value)
    {
        var json = JsonSerializer.Serialize(value, ContractJson.Options);
        var entity = new TableEntity(StorageKeys.Escape(tenant), StorageKeys.Escape(id));
        var parts = json.Chunk(CharsPerProperty).Select(c => new string(c)).ToArray();
        entity[PartsProperty] = parts.Length;
        for (var i = 0; i < parts.Length; i++) entity[$"Document{i:D2}"] = parts[i];
        return entity;
    }

    private static T Read(TableEntity entity)
    {
        var parts = entity.GetInt32(PartsProperty) ?? 0;
        var json = string.Concat(Enumerable.Range(0, parts).Select(i => entity.GetString($"Document{i:D2}")));
        return JsonSerializer.Deserialize<T>(json, ContractJson.Options)
            ?? throw new InvalidDataException($"State {entity.PartitionKey}/{entity.RowKey} is empty.");
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_tableReady) return;
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        _tableReady = true;
    }
}
