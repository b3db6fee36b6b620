using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// The entities of one in-memory table, ordered by PartitionKey then RowKey (ordinal) as the service returns them.
/// Each partition has a lock of its own, so writers to different partitions never wait for each other; an operation
/// (and a transaction, which the service confines to one partition) takes its partition's lock. Queries walk the
/// partitions in key order, each under its lock: like the service's, they are not a snapshot across partitions.
/// Stored entities are private copies that never leave the table.
/// </summary>
internal sealed class InMemoryTable
{
    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly Lock _partitionKeysGate = new();
    private readonly SortedSet<string> _partitionKeys = new(StringComparer.Ordinal);
    private readonly Func<DateTimeOffset> _nextTimestamp;

    public InMemoryTable(Func<DateTimeOffset> nextTimestamp) => _nextTimestamp = nextTimestamp;

    public ETag Insert(TableEntity entity)
    {
        var partition = PartitionOf(entity.PartitionKey);
        lock (partition.Sync)
        {
            if (partition.Rows.Contains(entity)) throw AlreadyExists();
            return Store(partition, InMemoryEntities.Copy(entity));
        }
    }

    public TableEntity? Get(string partitionKey, string rowKey)
    {
        if (!_partitions.TryGetValue(partitionKey, out var partition)) return null;
        lock (partition.Sync)
        {
            return partition.Rows.TryGetValue(new TableEntity(partitionKey, rowKey), out var stored) ? InMemoryEntities.Copy(stored) : null;
        }
    }

    /// <summary>Updates an existing entity whose ETag matches; <paramref name="ifMatch"/> null means insert-or-update.</summary>
    public ETag Write(TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        var partition = PartitionOf(entity.PartitionKey);
        lock (partition.Sync)
        {
            var updated = Updated(partition, entity, ifMatch, mode);
            partition.Rows.Remove(updated);
            return Store(partition, updated);
        }
    }

    public bool Delete(string partitionKey, string rowKey, ETag ifMatch)
    {
        if (!_partitions.TryGetValue(partitionKey, out var partition)) return false;
        lock (partition.Sync)
        {
            if (!partition.Rows.TryGetValue(new TableEntity(partitionKey, rowKey), out var stored)) return false;
            CheckETag(stored, ifMatch);
            return partition.Rows.Remove(stored);
        }
    }

    /// <summary>
    /// Applies a validated batch (one partition) all or none: every action is checked against the stored state before anything is
    /// written, and the first failure throws <see cref="TableTransactionFailedException"/> with its index.
    /// </summary>
    public IReadOnlyList<ETag> Transact(IReadOnlyList<TableTransactionAction> batch)
    {
        var partition = PartitionOf(batch[0].Entity.PartitionKey);
        lock (partition.Sync)
        {
            var results = new TableEntity?[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    results[i] = Decide(partition, batch[i]);
                }
                catch (RequestFailedException e)
                {
                    var failed = TableServiceRules.Error(e.Status, e.ErrorCode ?? "", $"{i}:{e.Message}");
                    failed.Data["FailedEntity"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    throw new TableTransactionFailedException(failed);
                }
            }
            var etags = new ETag[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                partition.Rows.Remove(new TableEntity(batch[i].Entity.PartitionKey, batch[i].Entity.RowKey));
                if (results[i] is { } entity) etags[i] = Store(partition, entity);
            }
            return etags;
        }
    }

    /// <summary>Up to <paramref name="pageSize"/> matches from <paramref name="from"/> on, and the keys of the next match.</summary>
    public (List<TableEntity> Entities, string? ContinuationToken) Query(Func<TableEntity, bool>? filter, IReadOnlyList<string>? select, int pageSize, TableEntity? from)
    {
        string[] partitionKeys;
        lock (_partitionKeysGate)
        {
            if (_partitionKeys.Count == 0 || from is not null && string.CompareOrdinal(from.PartitionKey, _partitionKeys.Max) > 0) return ([], null);
            partitionKeys = [.. from is null ? _partitionKeys : _partitionKeys.GetViewBetween(from.PartitionKey, _partitionKeys.Max!)];
        }
        var page = new List<TableEntity>();
        foreach (var partitionKey in partitionKeys)
        {
            var partition = _partitions[partitionKey];
            lock (partition.Sync)
            {
                if (partition.Rows.Count == 0) continue;
                var candidates = from is null || from.PartitionKey != partitionKey ? partition.Rows
                    : RowKeyComparer.Instance.Compare(from, partition.Rows.Max) > 0 ? null
                    : partition.Rows.GetViewBetween(from, partition.Rows.Max!);
                if (candidates is null) continue;
                foreach (var entity in candidates)
                {
                    if (filter is not null && !filter(entity)) continue;
                    if (page.Count == pageSize) return (page, TableContinuationToken.Encode(entity.PartitionKey, entity.RowKey));
                    page.Add(InMemoryEntities.Copy(entity, select));
                }
            }
        }
        return (page, null);
    }

    private Partition PartitionOf(string partitionKey)
    {
        if (_partitions.TryGetValue(partitionKey, out var existing)) return existing;
        lock (_partitionKeysGate)
        {
            var partition = _partitions.GetOrAdd(partitionKey, _ => new Partition());
            _partitionKeys.Add(partitionKey);
            return partition;
        }
    }

    // The new state of one batch action's row (null: deleted), without writing it.
    private TableEntity? Decide(Partition partition, TableTransactionAction action)
    {
        var entity = InMemoryEntities.Require(action.Entity);
        // A batch action without an ETag is unconditional.
        var etag = action.ETag == default ? ETag.All : action.ETag;
        switch (action.ActionType)
        {
            case TableTransactionActionType.Add:
                TableServiceRules.ValidateEntity(entity);
                return partition.Rows.Contains(entity) ? throw AlreadyExists() : InMemoryEntities.Copy(entity);
            case TableTransactionActionType.Delete:
                if (!partition.Rows.TryGetValue(entity, out var stored)) throw NotFound();
                CheckETag(stored, etag);
                return null;
            case TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpdateReplace:
                TableServiceRules.ValidateEntity(entity);
                return Updated(partition, entity, etag, action.ActionType == TableTransactionActionType.UpdateMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace);
            default:
                TableServiceRules.ValidateEntity(entity);
                return Updated(partition, entity, null, action.ActionType == TableTransactionActionType.UpsertMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace);
        }
    }

    private static TableEntity Updated(Partition partition, TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        if (!partition.Rows.TryGetValue(entity, out var stored))
            return ifMatch is null ? InMemoryEntities.Copy(entity) : throw NotFound();
        if (ifMatch is { } etag) CheckETag(stored, etag);
        return mode == TableUpdateMode.Merge ? InMemoryEntities.Merge(stored, entity) : InMemoryEntities.Copy(entity);
    }

    private ETag Store(Partition partition, TableEntity entity)
    {
        var timestamp = _nextTimestamp();
        entity.Timestamp = timestamp;
        // The service's ETag form: W/"datetime'<URL-encoded timestamp>'".
        entity.ETag = new ETag(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"W/\"datetime'{timestamp.UtcDateTime:yyyy-MM-dd'T'HH'%3A'mm'%3A'ss.fffffff'Z'}'\""));
        partition.Rows.Add(entity);
        return entity.ETag;
    }

    private static void CheckETag(TableEntity stored, ETag ifMatch)
    {
        if (ifMatch != ETag.All && ifMatch != stored.ETag)
            throw TableServiceRules.Error(412, TableErrorCode.UpdateConditionNotSatisfied.ToString(),
                "The update condition specified in the request was not satisfied.");
    }

    private static RequestFailedException AlreadyExists() =>
        TableServiceRules.Error(409, TableErrorCode.EntityAlreadyExists.ToString(), "The specified entity already exists.");

    private static RequestFailedException NotFound() =>
        TableServiceRules.Error(404, TableErrorCode.ResourceNotFound.ToString(), "The specified resource does not exist.");

    /// <summary>The rows of one partition, ordered by RowKey, and the lock every operation on them takes.</summary>
    private sealed class Partition
    {
        public Lock Sync { get; } = new();
        public SortedSet<TableEntity> Rows { get; } = new(RowKeyComparer.Instance);
    }

    private sealed class RowKeyComparer : IComparer<TableEntity>
    {
        public static readonly RowKeyComparer Instance = new();

        public int Compare(TableEntity? x, TableEntity? y) => string.CompareOrdinal(x!.RowKey, y!.RowKey);
    }
}
