using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// The rows of one in-memory table, ordered by PartitionKey then RowKey (ordinal) as the service returns them, each an
/// immutable <see cref="InMemoryRows"/> array (written once, replaced whole, never handed out: callers get decoded copies).
/// Each partition has a lock of its own, so writers to different partitions never wait for each other; an operation
/// (and a transaction, which the service confines to one partition) takes its partition's lock. Queries walk only the
/// partitions and rows their key bounds allow, each partition under its lock: like the service's, they are not a
/// snapshot across partitions.
/// </summary>
internal sealed class InMemoryTable
{
    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly Lock _partitionKeysGate = new();
    private readonly SortedSet<string> _partitionKeys = new(StringComparer.Ordinal);
    private readonly Func<DateTimeOffset> _nextTimestamp;
    private readonly InMemoryRows _rows = new();

    public InMemoryTable(Func<DateTimeOffset> nextTimestamp) => _nextTimestamp = nextTimestamp;

    public ETag Insert(TableEntity entity)
    {
        var row = _rows.Encode(entity);
        var partition = PartitionOf(entity.PartitionKey);
        lock (partition)
        {
            var at = partition.Find(entity.RowKey);
            if (at >= 0) throw AlreadyExists();
            return Store(partition, ~at, row, replaces: false);
        }
    }

    public TableEntity? Get(string partitionKey, string rowKey)
    {
        if (!_partitions.TryGetValue(partitionKey, out var partition)) return null;
        byte[] row;
        lock (partition)
        {
            var at = partition.Find(rowKey);
            if (at < 0) return null;
            row = partition.Rows[at];
        }
        return _rows.Decode(partitionKey, row);
    }

    /// <summary>Updates an existing entity whose ETag matches; <paramref name="ifMatch"/> null means insert-or-update.</summary>
    public ETag Write(TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        // A replace needs nothing of the stored row: encoded before the lock is taken.
        var replacement = mode == TableUpdateMode.Replace ? _rows.Encode(entity) : null;
        var partition = PartitionOf(entity.PartitionKey);
        lock (partition)
        {
            var at = partition.Find(entity.RowKey);
            var row = Updated(partition, at, entity, ifMatch, mode, replacement);
            return Store(partition, at >= 0 ? at : ~at, row, replaces: at >= 0);
        }
    }

    public bool Delete(string partitionKey, string rowKey, ETag ifMatch)
    {
        if (!_partitions.TryGetValue(partitionKey, out var partition)) return false;
        lock (partition)
        {
            var at = partition.Find(rowKey);
            if (at < 0) return false;
            CheckETag(partition.Rows[at], ifMatch);
            partition.RemoveAt(at);
            return true;
        }
    }

    /// <summary>
    /// Applies a validated batch (one partition) all or none: every action is checked against the stored state before anything is
    /// written, and the first failure throws <see cref="TableTransactionFailedException"/> with its index.
    /// </summary>
    public IReadOnlyList<ETag> Transact(IReadOnlyList<TableTransactionAction> batch)
    {
        var partition = PartitionOf(batch[0].Entity.PartitionKey);
        lock (partition)
        {
            var results = new byte[]?[batch.Count];
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
                // The batch names each row once (validated), so every action meets the state it was decided against.
                var at = partition.Find(batch[i].Entity.RowKey);
                if (results[i] is { } row) etags[i] = Store(partition, at >= 0 ? at : ~at, row, replaces: at >= 0);
                else if (at >= 0) partition.RemoveAt(at);
            }
            return etags;
        }
    }

    /// <summary>
    /// Up to <paramref name="pageSize"/> matches from <paramref name="from"/> (next partition key and row key) on, and the keys of
    /// the next match. Only partitions and rows within the query's key bounds are read; the filter decides over the rest.
    /// </summary>
    public (List<TableEntity> Entities, string? ContinuationToken) Query(InMemoryQuery? query, IReadOnlyList<string>? select, int pageSize,
        (string PartitionKey, string RowKey)? from)
    {
        var (partitionBounds, rowBounds) = query is null ? (KeyBounds.All, KeyBounds.All) : (query.PartitionKeys, query.RowKeys);
        if (from is { } next) partitionBounds = partitionBounds.From(next.PartitionKey);
        var page = new List<TableEntity>();
        foreach (var partitionKey in PartitionKeys(partitionBounds))
        {
            if (!_partitions.TryGetValue(partitionKey, out var partition)) continue;
            var rows = from is { } resume && resume.PartitionKey == partitionKey ? rowBounds.From(resume.RowKey) : rowBounds;
            lock (partition)
            {
                for (var at = rows.Lower is { } lower ? partition.LowerBound(lower, rows.LowerInclusive) : 0; at < partition.Count; at++)
                {
                    var row = partition.Rows[at];
                    if (!rows.Admits(InMemoryRows.RowKey(row))) break;
                    var entity = _rows.Decode(partitionKey, row);
                    if (query is not null && !query.Matches(entity)) continue;
                    if (page.Count == pageSize) return (page, TableContinuationToken.Encode(partitionKey, entity.RowKey));
                    page.Add(select is null ? entity : _rows.Decode(partitionKey, row, select));
                }
            }
        }
        return (page, null);
    }

    // The partition keys within the bounds, in order: one lookup for an exact key, else a copy of the sorted range.
    private IEnumerable<string> PartitionKeys(KeyBounds bounds)
    {
        if (bounds.Exact is { } key) return [key];
        lock (_partitionKeysGate)
        {
            if (_partitionKeys.Count == 0) return [];
            var lower = bounds.Lower ?? _partitionKeys.Min!;
            var upper = bounds.Upper ?? _partitionKeys.Max!;
            if (string.CompareOrdinal(lower, upper) > 0) return [];
            return _partitionKeys.GetViewBetween(lower, upper).Where(k => bounds.Admits(k)).ToArray();
        }
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

    // The new row of one batch action (null: deleted), without writing it.
    private byte[]? Decide(Partition partition, TableTransactionAction action)
    {
        var entity = InMemoryEntities.Require(action.Entity);
        // A batch action without an ETag is unconditional.
        var etag = action.ETag == default ? ETag.All : action.ETag;
        var at = partition.Find(entity.RowKey);
        switch (action.ActionType)
        {
            case TableTransactionActionType.Add:
                TableServiceRules.ValidateEntity(entity);
                return at >= 0 ? throw AlreadyExists() : _rows.Encode(entity);
            case TableTransactionActionType.Delete:
                if (at < 0) throw NotFound();
                CheckETag(partition.Rows[at], etag);
                return null;
            case TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpdateReplace:
                TableServiceRules.ValidateEntity(entity);
                return Updated(partition, at, entity, etag, action.ActionType == TableTransactionActionType.UpdateMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace, null);
            default:
                TableServiceRules.ValidateEntity(entity);
                return Updated(partition, at, entity, null, action.ActionType == TableTransactionActionType.UpsertMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace, null);
        }
    }

    private byte[] Updated(Partition partition, int at, TableEntity entity, ETag? ifMatch, TableUpdateMode mode, byte[]? replacement)
    {
        if (at < 0) return ifMatch is null ? replacement ?? _rows.Encode(entity) : throw NotFound();
        var stored = partition.Rows[at];
        if (ifMatch is { } etag) CheckETag(stored, etag);
        return mode == TableUpdateMode.Merge ? _rows.Merge(stored, entity) : replacement ?? _rows.Encode(entity);
    }

    private ETag Store(Partition partition, int at, byte[] row, bool replaces)
    {
        InMemoryRows.Stamp(row, _nextTimestamp());
        if (replaces) partition.Rows[at] = row;
        else partition.InsertAt(at, row);
        return InMemoryRows.ETagOf(row);
    }

    private static void CheckETag(byte[] stored, ETag ifMatch)
    {
        if (ifMatch != ETag.All && ifMatch != InMemoryRows.ETagOf(stored))
            throw TableServiceRules.Error(412, TableErrorCode.UpdateConditionNotSatisfied.ToString(),
                "The update condition specified in the request was not satisfied.");
    }

    private static RequestFailedException AlreadyExists() =>
        TableServiceRules.Error(409, TableErrorCode.EntityAlreadyExists.ToString(), "The specified entity already exists.");

    private static RequestFailedException NotFound() =>
        TableServiceRules.Error(404, TableErrorCode.ResourceNotFound.ToString(), "The specified resource does not exist.");

    /// <summary>
    /// The rows of one partition, sorted by RowKey in one array (a reference per row: most partitions of business records hold
    /// a row or two, and an idempotency bucket's inserts move a few thousand references). The partition object is its lock.
    /// </summary>
    private sealed class Partition
    {
        public byte[][] Rows { get; private set; } = new byte[1][];
        public int Count { get; private set; }

        /// <summary>The row's index, or the bitwise complement of where it would go.</summary>
        public int Find(string rowKey)
        {
            int low = 0, high = Count - 1;
            while (low <= high)
            {
                var middle = low + (high - low) / 2;
                var order = InMemoryRows.RowKey(Rows[middle]).SequenceCompareTo(rowKey);
                if (order == 0) return middle;
                if (order < 0) low = middle + 1;
                else high = middle - 1;
            }
            return ~low;
        }

        /// <summary>The index of the first row at or (not <paramref name="inclusive"/>) after <paramref name="rowKey"/>.</summary>
        public int LowerBound(string rowKey, bool inclusive)
        {
            var at = Find(rowKey);
            return at < 0 ? ~at : inclusive ? at : at + 1;
        }

        public void InsertAt(int at, byte[] row)
        {
            if (Count == Rows.Length)
            {
                var larger = new byte[Count * 2][];
                Array.Copy(Rows, larger, Count);
                Rows = larger;
            }
            Array.Copy(Rows, at, Rows, at + 1, Count - at);
            Rows[at] = row;
            Count++;
        }

        public void RemoveAt(int at)
        {
            Array.Copy(Rows, at + 1, Rows, at, Count - at - 1);
            Rows[--Count] = null!;
        }
    }
}
