using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// The rows of one in-memory table, ordered by PartitionKey then RowKey (ordinal) as the service returns them, each an
/// immutable <see cref="InMemoryRows"/> array: written once, replaced whole, never handed out (callers get decoded copies).
/// The service's unit of atomicity is the partition, so the rows are spread over shards by a hash of their PartitionKey, each
/// shard its own sorted run under its own lock: an operation or a transaction (one partition, as the service confines it) takes
/// one shard's lock, and writers of different partitions only meet when their keys share a shard. A lock is held only to find,
/// check, stamp and place rows: rows are encoded before it is taken (but for a merge, which needs the stored row) and decoded,
/// and their ETags formatted, after it is let go. A query of one partition reads its shard; any other merges every shard's run
/// in key order. Either reads only the rows within its key bounds, a batch of rows per turn of a lock, so like the service's
/// queries it is not a snapshot.
/// </summary>
internal sealed class InMemoryTable
{
    // Rows a query takes from a shard per turn of its lock, so that a long scan lets writers in between.
    private const int QueryBatch = 256;

    // Enough that the partitions a table's writers use at once (the idempotency store's 32 buckets) seldom share a lock. A shard
    // is made when its first row is written, so a small table holds few.
    private const int ShardCount = 64;

    private readonly Shard?[] _shards = new Shard?[ShardCount];
    private readonly TimeProvider _clock;
    private readonly InMemoryRows _rows = new();
    private volatile bool _deleted;

    public InMemoryTable(TimeProvider clock) => _clock = clock;

    /// <summary>Whether the table was deleted: a client that kept it looks the table up again.</summary>
    public bool Deleted => _deleted;

    public void MarkDeleted() => _deleted = true;

    public ETag Insert(TableEntity entity)
    {
        var row = _rows.Encode(entity);
        var shard = ShardFor(entity.PartitionKey);
        var now = Now();
        lock (shard.Gate)
        {
            var at = shard.Order.Seek(entity.PartitionKey, entity.RowKey, out var found);
            if (found) throw AlreadyExists();
            shard.Store(at, row, replaces: false, now);
        }
        return InMemoryRows.ETagOf(row);
    }

    public TableEntity? Get(string partitionKey, string rowKey)
    {
        if (ExistingShard(partitionKey) is not { } shard) return null;
        byte[]? row;
        lock (shard.Gate)
        {
            var at = shard.Order.Seek(partitionKey, rowKey, out var found);
            row = found ? shard.Order.At(ref at) : null;
        }
        return row is null ? null : _rows.Decode(row);
    }

    /// <summary>Updates an existing entity whose ETag matches; <paramref name="ifMatch"/> null means insert-or-update.</summary>
    public ETag Write(TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        var replacement = mode == TableUpdateMode.Replace ? _rows.Encode(entity) : null;
        var shard = ShardFor(entity.PartitionKey);
        var now = Now();
        byte[] row;
        lock (shard.Gate)
        {
            var at = shard.Order.Seek(entity.PartitionKey, entity.RowKey, out var found);
            row = Updated(found ? shard.Order.At(ref at) : null, entity, ifMatch, mode, replacement);
            shard.Store(at, row, replaces: found, now);
        }
        return InMemoryRows.ETagOf(row);
    }

    public bool Delete(string partitionKey, string rowKey, ETag ifMatch)
    {
        if (ExistingShard(partitionKey) is not { } shard) return false;
        lock (shard.Gate)
        {
            var at = shard.Order.Seek(partitionKey, rowKey, out var found);
            if (!found) return false;
            CheckETag(shard.Order.At(ref at)!, ifMatch);
            shard.Order.Remove(at);
            return true;
        }
    }

    /// <summary>
    /// Applies a validated batch (one partition) all or none: every action is checked against the stored state before anything is
    /// written, and the first failure throws <see cref="TableTransactionFailedException"/> with its index.
    /// </summary>
    public IReadOnlyList<ETag> Transact(IReadOnlyList<TableTransactionAction> batch)
    {
        var entities = new ITableEntity[batch.Count];
        // What needs nothing of the stored rows is encoded before the lock is taken; then each action's new row (null: deleted).
        var rows = new byte[]?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            entities[i] = InMemoryEntities.Require(batch[i].Entity);
            if (batch[i].ActionType is TableTransactionActionType.Add or TableTransactionActionType.UpdateReplace or TableTransactionActionType.UpsertReplace)
                rows[i] = TryEncode(entities[i]);
        }
        var shard = ShardFor(entities[0].PartitionKey);
        var now = Now();
        // Where each action's row is (or goes), and whether it is there.
        Span<InMemorySortedRows.Position> places = stackalloc InMemorySortedRows.Position[batch.Count];
        Span<bool> stored = stackalloc bool[batch.Count];
        lock (shard.Gate)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    places[i] = shard.Order.Seek(entities[i].PartitionKey, entities[i].RowKey, out stored[i]);
                    rows[i] = Decide(batch[i], entities[i], stored[i] ? shard.Order.At(ref places[i]) : null, rows[i]);
                }
                catch (RequestFailedException e)
                {
                    var failed = TableServiceRules.Error(e.Status, e.ErrorCode ?? "", $"{i}:{e.Message}");
                    failed.Data["FailedEntity"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    throw new TableTransactionFailedException(failed);
                }
            }
            // The batch names each row once (validated), so every action meets the state it was decided against. Replacing a row
            // moves no other, so replacements go first, where the rows were found; inserts and deletes then look their places up again.
            for (var i = 0; i < batch.Count; i++)
            {
                if (stored[i] && rows[i] is { } row) shard.Store(places[i], row, replaces: true, now);
            }
            for (var i = 0; i < batch.Count; i++)
            {
                if (rows[i] is { } row && !stored[i]) shard.Store(shard.Order.Seek(entities[i].PartitionKey, entities[i].RowKey, out _), row, replaces: false, now);
                else if (rows[i] is null && stored[i]) shard.Order.Remove(shard.Order.Seek(entities[i].PartitionKey, entities[i].RowKey, out _));
            }
        }
        return new BatchETags(rows);
    }

    /// <summary>
    /// Up to <paramref name="pageSize"/> matches from <paramref name="from"/> (next partition key and row key) on, and the keys of
    /// the next match. Only rows within the query's key bounds are read; the filter decides over those.
    /// </summary>
    public (List<TableEntity> Entities, string? ContinuationToken) Query(InMemoryQuery? query, IReadOnlyList<string>? select, int pageSize,
        (string PartitionKey, string RowKey)? from)
    {
        var partitions = query?.PartitionKeys ?? KeyBounds.All;
        var rows = query?.RowKeys ?? KeyBounds.All;
        var page = new List<TableEntity>();
        if (partitions.Empty || rows.Empty) return (page, null);
        // The next place to look: the continuation, else the lowest keys the bounds allow.
        var (partitionKey, rowKey) = from ?? (partitions.Lower ?? "", "");
        // One partition lives in one shard; a query of several reads them all.
        var (first, last) = partitions is { Lower: { } only, LowerInclusive: true, UpperInclusive: true } && partitions.Upper == only
            ? (ShardIndex(only), ShardIndex(only))
            : (0, ShardCount - 1);
        // A small page needs few rows: the batch grows from what it needs to QueryBatch as the filter turns rows down.
        var take = Math.Min(QueryBatch, pageSize + 1);
        var batch = new List<byte[]>();
        while (true)
        {
            batch.Clear();
            // The least keys that some shard has not yet given: rows from there on wait for the next turn, as that shard's
            // rows before them are not all read yet.
            (string PartitionKey, string RowKey)? limit = null;
            var shards = 0;
            for (var s = first; s <= last; s++)
            {
                if (Volatile.Read(ref _shards[s]) is not { } shard) continue;
                shards++;
                var next = (partitionKey, rowKey);
                if (!Collect(shard, ref next.partitionKey, ref next.rowKey, partitions, rows, batch, take)
                    && (limit is not { } least || CompareKeys(next, least) < 0))
                    limit = next;
            }
            var end = batch.Count;
            if (shards > 1)
            {
                batch.Sort(InMemoryRows.CompareRows);
                if (limit is { } least)
                {
                    while (end > 0 && InMemoryRows.CompareKeys(batch[end - 1], least.PartitionKey, least.RowKey) >= 0) end--;
                }
            }
            for (var i = 0; i < end; i++)
            {
                var entity = _rows.Decode(batch[i]);
                if (query is not null && !query.Matches(entity)) continue;
                if (page.Count == pageSize) return (page, TableContinuationToken.Encode(entity.PartitionKey, entity.RowKey));
                page.Add(select is null ? entity : _rows.Decode(batch[i], select));
            }
            if (limit is null) return (page, null);
            (partitionKey, rowKey) = limit.Value;
            take = Math.Min(QueryBatch, 2 * take);
        }
    }

    private static int CompareKeys((string PartitionKey, string RowKey) a, (string PartitionKey, string RowKey) b)
    {
        var order = string.CompareOrdinal(a.PartitionKey, b.PartitionKey);
        return order != 0 ? order : string.CompareOrdinal(a.RowKey, b.RowKey);
    }

    // Takes up to `take` rows of one shard within the bounds from (partitionKey, rowKey) on, leaving those keys at the next place
    // to look; true when the shard holds no more rows within the bounds.
    private static bool Collect(Shard shard, ref string partitionKey, ref string rowKey, KeyBounds partitions, KeyBounds rows, List<byte[]> batch, int take)
    {
        var order = shard.Order;
        var taken = 0;
        lock (shard.Gate)
        {
            var at = order.Seek(partitionKey, rowKey, out _);
            while (order.At(ref at) is { } row)
            {
                if (taken == take)
                {
                    (partitionKey, rowKey) = (InMemoryRows.PartitionKey(row), InMemoryRows.RowKey(row));
                    return false;
                }
                if (Before(InMemoryRows.ComparePartitionKey(row, partitions.Lower ?? ""), partitions.LowerInclusive || partitions.Lower is null))
                {
                    at = NextPartition(order, row); // only an exclusive lower bound leaves rows of that partition behind
                    continue;
                }
                if (partitions.Upper is not null && After(InMemoryRows.ComparePartitionKey(row, partitions.Upper), partitions.UpperInclusive)) return true;
                if (rows.Lower is not null && Before(InMemoryRows.CompareRowKey(row, rows.Lower), rows.LowerInclusive))
                {
                    at = order.Seek(InMemoryRows.PartitionKey(row), rows.Lower, out var exact);
                    if (exact && !rows.LowerInclusive) at = InMemorySortedRows.Next(at);
                    continue;
                }
                if (rows.Upper is not null && After(InMemoryRows.CompareRowKey(row, rows.Upper), rows.UpperInclusive))
                {
                    at = NextPartition(order, row);
                    continue;
                }
                batch.Add(row);
                taken++;
                at = InMemorySortedRows.Next(at);
            }
            return true;
        }
    }

    // Whether a key compared with a bound (order) lies before it, or after it, with the bound itself admitted if inclusive.
    private static bool Before(int order, bool inclusive) => order < 0 || order == 0 && !inclusive;

    private static bool After(int order, bool inclusive) => order > 0 || order == 0 && !inclusive;

    // The first place of the partition after the row's: PartitionKey + "\0" is the least key above it.
    private static InMemorySortedRows.Position NextPartition(InMemorySortedRows order, byte[] row) =>
        order.Seek(InMemoryRows.PartitionKey(row) + '\0', "", out _);

    private static int ShardIndex(string partitionKey) => (int)((uint)partitionKey.GetHashCode() % ShardCount);

    private Shard ShardFor(string partitionKey)
    {
        ref var slot = ref _shards[ShardIndex(partitionKey)];
        return Volatile.Read(ref slot) ?? Interlocked.CompareExchange(ref slot, new Shard(), null) ?? slot!;
    }

    private Shard? ExistingShard(string partitionKey) => Volatile.Read(ref _shards[ShardIndex(partitionKey)]);

    private long Now() => _clock.GetUtcNow().UtcTicks;

    // The new row of one batch action (null: deleted) over the row stored under its keys, without writing it.
    private byte[]? Decide(TableTransactionAction action, ITableEntity entity, byte[]? stored, byte[]? encoded)
    {
        // A batch action without an ETag is unconditional.
        var etag = action.ETag == default ? ETag.All : action.ETag;
        switch (action.ActionType)
        {
            case TableTransactionActionType.Add:
                TableServiceRules.ValidateEntity(entity);
                return stored is not null ? throw AlreadyExists() : encoded ?? _rows.Encode(entity);
            case TableTransactionActionType.Delete:
                if (stored is null) throw NotFound();
                CheckETag(stored, etag);
                return null;
            case TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpdateReplace:
                TableServiceRules.ValidateEntity(entity);
                return Updated(stored, entity, etag, action.ActionType == TableTransactionActionType.UpdateMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace, encoded);
            default:
                TableServiceRules.ValidateEntity(entity);
                return Updated(stored, entity, null, action.ActionType == TableTransactionActionType.UpsertMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace, encoded);
        }
    }

    private byte[] Updated(byte[]? stored, ITableEntity entity, ETag? ifMatch, TableUpdateMode mode, byte[]? replacement)
    {
        if (stored is null) return ifMatch is null ? replacement ?? _rows.Encode(entity) : throw NotFound();
        if (ifMatch is { } etag) CheckETag(stored, etag);
        return mode == TableUpdateMode.Merge ? _rows.Merge(stored, entity) : replacement ?? _rows.Encode(entity);
    }

    // An entity the service would refuse fails in its turn, under the lock, so the batch reports the first failing action.
    private byte[]? TryEncode(ITableEntity entity)
    {
        try
        {
            return _rows.Encode(entity);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static void CheckETag(byte[] stored, ETag ifMatch)
    {
        if (ifMatch != ETag.All && !InMemoryRows.HasETag(stored, ifMatch))
            throw TableServiceRules.Error(412, TableErrorCode.UpdateConditionNotSatisfied.ToString(),
                "The update condition specified in the request was not satisfied.");
    }

    private static RequestFailedException AlreadyExists() =>
        TableServiceRules.Error(409, TableErrorCode.EntityAlreadyExists.ToString(), "The specified entity already exists.");

    private static RequestFailedException NotFound() =>
        TableServiceRules.Error(404, TableErrorCode.ResourceNotFound.ToString(), "The specified resource does not exist.");

    /// <summary>
    /// The new ETags of a transaction's rows (default for a delete), each made when it is read: most callers only need the
    /// batch to have succeeded. The rows are never changed once stored, so every read gives the same ETag.
    /// </summary>
    private sealed class BatchETags(byte[]?[] rows) : IReadOnlyList<ETag>
    {
        public int Count => rows.Length;

        public ETag this[int index] => rows[index] is { } row ? InMemoryRows.ETagOf(row) : default;

        public IEnumerator<ETag> GetEnumerator()
        {
            for (var i = 0; i < rows.Length; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>One shard: its rows in key order, the lock that guards them, and the last timestamp it gave.</summary>
    private sealed class Shard
    {
        private long _lastTicks;

        public Lock Gate { get; } = new();

        public InMemorySortedRows Order { get; } = new();

        /// <summary>Stamps and places <paramref name="row"/>; under <see cref="Gate"/>.</summary>
        public void Store(InMemorySortedRows.Position at, byte[] row, bool replaces, long now)
        {
            // Strictly increasing within the shard (so within every row's partition), so that every write of a row gets a
            // distinct ETag even within one clock tick, without a counter every writer of the account shares.
            _lastTicks = Math.Max(now, _lastTicks + 1);
            InMemoryRows.Stamp(row, _lastTicks);
            if (replaces) Order.Replace(at, row);
            else Order.Insert(at, row);
        }
    }
}
