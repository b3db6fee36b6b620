using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// The rows of one in-memory table, ordered by PartitionKey then RowKey (ordinal) as the service returns them, each an
/// immutable <see cref="InMemoryRows"/> array: written once, replaced whole, never handed out (callers get decoded copies).
/// One lock per table guards the order, held only to find, check and place rows: rows are encoded before it is taken (but for
/// a merge, which needs the stored row) and decoded after it is let go, so an operation or a transaction (one partition, as
/// the service confines it) is atomic without holding the lock for the copying. Queries read only the rows within their key
/// bounds, a batch of rows per lock; like the service's, they are not a snapshot.
/// </summary>
internal sealed class InMemoryTable
{
    // Rows a query takes per turn of the lock, so that a long scan lets writers in between.
    private const int QueryBatch = 256;

    private readonly Lock _gate = new();
    private readonly InMemorySortedRows _order = new();
    private readonly Func<DateTimeOffset> _nextTimestamp;
    private readonly InMemoryRows _rows = new();

    public InMemoryTable(Func<DateTimeOffset> nextTimestamp) => _nextTimestamp = nextTimestamp;

    public ETag Insert(TableEntity entity)
    {
        var row = _rows.Encode(entity);
        lock (_gate)
        {
            var at = _order.Seek(entity.PartitionKey, entity.RowKey, out var found);
            if (found) throw AlreadyExists();
            return Store(at, row, replaces: false);
        }
    }

    public TableEntity? Get(string partitionKey, string rowKey)
    {
        byte[]? row;
        lock (_gate)
        {
            var at = _order.Seek(partitionKey, rowKey, out var found);
            row = found ? _order.At(ref at) : null;
        }
        return row is null ? null : _rows.Decode(row);
    }

    /// <summary>Updates an existing entity whose ETag matches; <paramref name="ifMatch"/> null means insert-or-update.</summary>
    public ETag Write(TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        var replacement = mode == TableUpdateMode.Replace ? _rows.Encode(entity) : null;
        lock (_gate)
        {
            var at = _order.Seek(entity.PartitionKey, entity.RowKey, out var found);
            var row = Updated(found ? _order.At(ref at) : null, entity, ifMatch, mode, replacement);
            return Store(at, row, replaces: found);
        }
    }

    public bool Delete(string partitionKey, string rowKey, ETag ifMatch)
    {
        lock (_gate)
        {
            var at = _order.Seek(partitionKey, rowKey, out var found);
            if (!found) return false;
            CheckETag(_order.At(ref at)!, ifMatch);
            _order.Remove(at);
            return true;
        }
    }

    /// <summary>
    /// Applies a validated batch (one partition) all or none: every action is checked against the stored state before anything is
    /// written, and the first failure throws <see cref="TableTransactionFailedException"/> with its index.
    /// </summary>
    public IReadOnlyList<ETag> Transact(IReadOnlyList<TableTransactionAction> batch)
    {
        var entities = batch.Select(a => InMemoryEntities.Require(a.Entity)).ToArray();
        // What needs nothing of the stored rows is encoded before the lock is taken.
        var encoded = batch.Select((a, i) => a.ActionType is TableTransactionActionType.Add or TableTransactionActionType.UpdateReplace
            or TableTransactionActionType.UpsertReplace ? TryEncode(entities[i]) : null).ToArray();
        lock (_gate)
        {
            var results = new byte[]?[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    results[i] = Decide(batch[i], entities[i], encoded[i]);
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
                var at = _order.Seek(entities[i].PartitionKey, entities[i].RowKey, out var found);
                if (results[i] is { } row) etags[i] = Store(at, row, replaces: found);
                else if (found) _order.Remove(at);
            }
            return etags;
        }
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
        var batch = new List<byte[]>(QueryBatch);
        while (true)
        {
            batch.Clear();
            var done = Collect(ref partitionKey, ref rowKey, partitions, rows, batch);
            foreach (var row in batch)
            {
                var entity = _rows.Decode(row);
                if (query is not null && !query.Matches(entity)) continue;
                if (page.Count == pageSize) return (page, TableContinuationToken.Encode(entity.PartitionKey, entity.RowKey));
                page.Add(select is null ? entity : _rows.Decode(row, select));
            }
            if (done) return (page, null);
        }
    }

    // Takes up to a batch of rows within the bounds from (partitionKey, rowKey) on, leaving those keys at the next place to look;
    // true when the bounds hold no more rows.
    private bool Collect(ref string partitionKey, ref string rowKey, KeyBounds partitions, KeyBounds rows, List<byte[]> batch)
    {
        lock (_gate)
        {
            var at = _order.Seek(partitionKey, rowKey, out _);
            while (_order.At(ref at) is { } row)
            {
                if (batch.Count == QueryBatch)
                {
                    (partitionKey, rowKey) = (InMemoryRows.PartitionKey(row), InMemoryRows.RowKey(row));
                    return false;
                }
                if (Before(InMemoryRows.ComparePartitionKey(row, partitions.Lower ?? ""), partitions.LowerInclusive || partitions.Lower is null))
                {
                    at = NextPartition(row); // only an exclusive lower bound leaves rows of that partition behind
                    continue;
                }
                if (partitions.Upper is not null && After(InMemoryRows.ComparePartitionKey(row, partitions.Upper), partitions.UpperInclusive)) return true;
                if (rows.Lower is not null && Before(InMemoryRows.CompareRowKey(row, rows.Lower), rows.LowerInclusive))
                {
                    at = _order.Seek(InMemoryRows.PartitionKey(row), rows.Lower, out var exact);
                    if (exact && !rows.LowerInclusive) at = InMemorySortedRows.Next(at);
                    continue;
                }
                if (rows.Upper is not null && After(InMemoryRows.CompareRowKey(row, rows.Upper), rows.UpperInclusive))
                {
                    at = NextPartition(row);
                    continue;
                }
                batch.Add(row);
                at = InMemorySortedRows.Next(at);
            }
            return true;
        }
    }

    // Whether a key compared with a bound (order) lies before it, or after it, with the bound itself admitted if inclusive.
    private static bool Before(int order, bool inclusive) => order < 0 || order == 0 && !inclusive;

    private static bool After(int order, bool inclusive) => order > 0 || order == 0 && !inclusive;

    // The first place of the partition after the row's: PartitionKey + "\0" is the least key above it.
    private InMemorySortedRows.Position NextPartition(byte[] row) => _order.Seek(InMemoryRows.PartitionKey(row) + '\0', "", out _);

    // The new row of one batch action (null: deleted), without writing it.
    private byte[]? Decide(TableTransactionAction action, TableEntity entity, byte[]? encoded)
    {
        // A batch action without an ETag is unconditional.
        var etag = action.ETag == default ? ETag.All : action.ETag;
        var at = _order.Seek(entity.PartitionKey, entity.RowKey, out var found);
        var stored = found ? _order.At(ref at) : null;
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

    private byte[] Updated(byte[]? stored, TableEntity entity, ETag? ifMatch, TableUpdateMode mode, byte[]? replacement)
    {
        if (stored is null) return ifMatch is null ? replacement ?? _rows.Encode(entity) : throw NotFound();
        if (ifMatch is { } etag) CheckETag(stored, etag);
        return mode == TableUpdateMode.Merge ? _rows.Merge(stored, entity) : replacement ?? _rows.Encode(entity);
    }

    // An entity the service would refuse fails in its turn, under the lock, so the batch reports the first failing action.
    private byte[]? TryEncode(TableEntity entity)
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

    private ETag Store(InMemorySortedRows.Position at, byte[] row, bool replaces)
    {
        InMemoryRows.Stamp(row, _nextTimestamp());
        if (replaces) _order.Replace(at, row);
        else _order.Insert(at, row);
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
}
