using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Contracts;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.State;

/// <summary>A stored state document and the ETag it was read with.</summary>
public sealed record StateEntry<T>(T Value, ETag ETag);

/// <summary>One write of a <see cref="StateTable.SubmitAsync"/> batch; every write of a batch is in one partition.</summary>
public sealed record StateWrite(StateWriteKind Kind, string Row, object? Value = null, ETag ETag = default)
{
    /// <summary>Inserts the row; the batch fails if it exists.</summary>
    public static StateWrite Add(string row, object value) => new(StateWriteKind.Add, row, value);

    /// <summary>Replaces the row if it still has <paramref name="etag"/>; the batch fails otherwise.</summary>
    public static StateWrite Update(string row, object value, ETag etag) => new(StateWriteKind.Update, row, value, etag);

    public static StateWrite Upsert(string row, object value) => new(StateWriteKind.Upsert, row, value);

    /// <summary>Deletes a row that exists (the batch fails if it does not).</summary>
    public static StateWrite Delete(string row) => new(StateWriteKind.Delete, row);
}

public enum StateWriteKind { Add, Update, Upsert, Delete }

/// <summary>
/// One table of state: JSON documents in rows, partitioned by tenant and entity (PartitionKey = tenant|entity), so one
/// tenant's events never reach another tenant's state and no partition is shared by unrelated entities. An entity's rows
/// (its document and any rows of its own, such as a stock level's reservations) share its partition, so they can be
/// read with one query and written together. Works over Table Storage, Azurite and the in-memory table. Thread-safe.
/// </summary>
public sealed class StateTable
{
    /// <summary>The Table service's limit on the writes of one entity-group transaction.</summary>
    public const int MaxBatchSize = TableClientExtensions.MaxTransactionActions;

    /// <summary>How many requests <see cref="PutAcrossAsync"/> has in flight at most (one event's fan-out, not the worker's).</summary>
    public const int MaxConcurrentRequests = 8;

    private const string PartsProperty = "DocumentParts";
    private const int MaxKeyLength = 400;

    private readonly ITableClient _table;
    private volatile bool _ready;

    public StateTable(ITableServiceClient tables, string tableName) => _table = tables.GetTableClient(tableName);

    public string Name => _table.Name;

    /// <summary>
    /// The partition of an entity of <paramref name="tenant"/>; <paramref name="entityKey"/> is storage-safe already
    /// (<see cref="StorageKeys.Escape"/> or <see cref="StorageKeys.Join"/> of the entity's id), and is hashed if too long for a key.
    /// </summary>
    public static string Partition(string tenant, string entityKey) => Bounded(StorageKeys.Escape(tenant) + "|" + entityKey);

    /// <summary>A row key built from <paramref name="parts"/> (escaped and joined, hashed if too long for a key).</summary>
    public static string Row(params string[] parts) => Bounded(StorageKeys.Join(parts));

    /// <summary>The prefix of the partitions of <paramref name="tenant"/>'s entities whose key starts with <paramref name="entityKeyPrefix"/>.</summary>
    public static string PartitionPrefix(string tenant, string entityKeyPrefix) => StorageKeys.Escape(tenant) + "|" + entityKeyPrefix;

    public async Task<StateEntry<T>?> GetAsync<T>(string partition, string row, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var entity = await _table.GetEntityAsync(partition, row, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : new StateEntry<T>(Read<T>(entity), entity.ETag);
    }

    /// <summary>The rows of <paramref name="partition"/> whose key starts with <paramref name="rowPrefix"/>, in key order.</summary>
    public async IAsyncEnumerable<T> ListAsync<T>(string partition, string rowPrefix,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entity in _table.QueryPartitionAsync(partition, rowPrefix, cancellationToken: cancellationToken).ConfigureAwait(false))
            yield return Read<T>(entity);
    }

    /// <summary>The rows named <paramref name="row"/> of every partition starting with <paramref name="partitionPrefix"/>, in partition order.</summary>
    public async IAsyncEnumerable<T> ListAcrossAsync<T>(string partitionPrefix, string row,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var end = partitionPrefix + '\uffff';
        await foreach (var entity in _table.QueryAsync(e => e.PartitionKey.CompareTo(partitionPrefix) >= 0 && e.PartitionKey.CompareTo(end) < 0 && e.RowKey == row,
            cancellationToken: cancellationToken).ConfigureAwait(false))
            yield return Read<T>(entity);
    }

    /// <summary>
    /// Writes <paramref name="writes"/> (all in <paramref name="partition"/>, at most <see cref="MaxBatchSize"/>) all or none:
    /// one write on its own, several as one entity-group transaction. A conflict or a failed condition fails the whole batch.
    /// </summary>
    public async Task SubmitAsync(string partition, IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(writes.Count, MaxBatchSize, nameof(writes));
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        if (writes.Count > 1)
        {
            await _table.SubmitTransactionAsync(writes.Select(w => w.Kind switch
            {
                StateWriteKind.Add => new TableTransactionAction(TableTransactionActionType.Add, Write(partition, w.Row, w.Value!)),
                StateWriteKind.Update => new TableTransactionAction(TableTransactionActionType.UpdateReplace, Write(partition, w.Row, w.Value!), w.ETag),
                StateWriteKind.Upsert => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Write(partition, w.Row, w.Value!)),
                _ => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, w.Row), ETag.All),
            }), cancellationToken).ConfigureAwait(false);
            return;
        }
        var write = writes[0];
        switch (write.Kind)
        {
            case StateWriteKind.Add:
                await _table.AddEntityAsync(Write(partition, write.Row, write.Value!), cancellationToken).ConfigureAwait(false);
                break;
            case StateWriteKind.Update:
                await _table.UpdateEntityAsync(Write(partition, write.Row, write.Value!), write.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                break;
            case StateWriteKind.Upsert:
                await _table.UpsertEntityAsync(Write(partition, write.Row, write.Value!), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                break;
            case StateWriteKind.Delete:
                await _table.DeleteEntityAsync(partition, write.Row, ETag.All, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Deletes one row in one request; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string partition, string row, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        return await _table.DeleteEntityAsync(partition, row, ETag.All, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Upserts rows of any number of partitions: each partition's rows in batches of <see cref="MaxBatchSize"/>, at most
    /// <see cref="MaxConcurrentRequests"/> batches at once. Writing a row again changes nothing, so a re-run repeats it safely.
    /// </summary>
    public async Task PutAcrossAsync(IEnumerable<(string Partition, string Row, object Value)> rows, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var batches = rows.GroupBy(r => r.Partition, StringComparer.Ordinal)
            .SelectMany(p => p.DistinctBy(r => r.Row, StringComparer.Ordinal).Chunk(MaxBatchSize)
                .Select(chunk => (Partition: p.Key, Writes: (IReadOnlyList<StateWrite>)[.. chunk.Select(r => StateWrite.Upsert(r.Row, r.Value))])));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentRequests, CancellationToken = cancellationToken },
            async (batch, ct) => await SubmitAsync(batch.Partition, batch.Writes, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private static TableEntity Write(string partition, string row, object value)
    {
        var json = JsonSerializer.Serialize(value, value.GetType(), ContractJson.Options);
        var entity = new TableEntity(partition, row);
        var parts = PropertyText.Split(json);
        entity[PartsProperty] = parts.Length;
        for (var i = 0; i < parts.Length; i++) entity[$"Document{i:D2}"] = parts[i];
        return entity;
    }

    private static T Read<T>(TableEntity entity)
    {
        var parts = entity.GetInt32(PartsProperty) ?? 0;
        var json = string.Concat(Enumerable.Range(0, parts).Select(i => entity.GetString($"Document{i:D2}")));
        return JsonSerializer.Deserialize<T>(json, ContractJson.Options)
            ?? throw new InvalidDataException($"State {entity.PartitionKey}/{entity.RowKey} is empty.");
    }

    private static string Bounded(string key) => key.Length <= MaxKeyLength
        ? key
        : key[..200] + "~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready) return;
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        _ready = true;
    }
}
