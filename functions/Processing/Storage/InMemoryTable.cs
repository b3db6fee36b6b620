using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// The entities of one in-memory table, ordered by PartitionKey then RowKey (ordinal) as the service returns them.
/// Every operation takes the table's lock; stored entities are private copies that never leave it.
/// </summary>
internal sealed class InMemoryTable
{
    private readonly Lock _sync = new();
    private readonly SortedSet<TableEntity> _entities = new(KeyComparer.Instance);
    private readonly Func<DateTimeOffset> _nextTimestamp;

    public InMemoryTable(Func<DateTimeOffset> nextTimestamp) => _nextTimestamp = nextTimestamp;

    public ETag Insert(TableEntity entity)
    {
        lock (_sync)
        {
            if (_entities.Contains(entity)) throw AlreadyExists();
            return Store(InMemoryEntities.Copy(entity));
        }
    }

    public TableEntity? Get(string partitionKey, string rowKey)
    {
        lock (_sync)
        {
            return _entities.TryGetValue(new TableEntity(partitionKey, rowKey), out var stored) ? InMemoryEntities.Copy(stored) : null;
        }
    }

    /// <summary>Updates an existing entity whose ETag matches; <paramref name="ifMatch"/> null means insert-or-update.</summary>
    public ETag Write(TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        lock (_sync)
        {
            var updated = Updated(entity, ifMatch, mode);
            _entities.Remove(updated);
            return Store(updated);
        }
    }

    public bool Delete(string partitionKey, string rowKey, ETag ifMatch)
    {
        lock (_sync)
        {
            if (!_entities.TryGetValue(new TableEntity(partitionKey, rowKey), out var stored)) return false;
            CheckETag(stored, ifMatch);
            return _entities.Remove(stored);
        }
    }

    /// <summary>
    /// Applies a validated batch all or none: every action is checked against the stored state before anything is
    /// written, and the first failure throws <see cref="TableTransactionFailedException"/> with its index.
    /// </summary>
    public IReadOnlyList<ETag> Transact(IReadOnlyList<TableTransactionAction> batch)
    {
        lock (_sync)
        {
            var results = new TableEntity?[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    results[i] = Decide(batch[i]);
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
                _entities.Remove(new TableEntity(batch[i].Entity.PartitionKey, batch[i].Entity.RowKey));
                if (results[i] is { } entity) etags[i] = Store(entity);
            }
            return etags;
        }
    }

    /// <summary>Up to <paramref name="pageSize"/> matches from <paramref name="from"/> on, and the keys of the next match.</summary>
    public (List<TableEntity> Entities, string? ContinuationToken) Query(Func<TableEntity, bool>? filter, IReadOnlyList<string>? select, int pageSize, TableEntity? from)
    {
        lock (_sync)
        {
            if (_entities.Count == 0 || from is not null && KeyComparer.Instance.Compare(from, _entities.Max) > 0)
                return ([], null);
            var candidates = from is null ? _entities : _entities.GetViewBetween(from, _entities.Max!);
            var page = new List<TableEntity>();
            foreach (var entity in candidates)
            {
                if (filter is not null && !filter(entity)) continue;
                if (page.Count == pageSize) return (page, TableContinuationToken.Encode(entity.PartitionKey, entity.RowKey));
                page.Add(InMemoryEntities.Copy(entity, select));
            }
            return (page, null);
        }
    }

    // The new state of one batch action's row (null: deleted), without writing it.
    private TableEntity? Decide(TableTransactionAction action)
    {
        var entity = InMemoryEntities.Require(action.Entity);
        // A batch action without an ETag is unconditional.
        var etag = action.ETag == default ? ETag.All : action.ETag;
        switch (action.ActionType)
        {
            case TableTransactionActionType.Add:
                TableServiceRules.ValidateEntity(entity);
                return _entities.Contains(entity) ? throw AlreadyExists() : InMemoryEntities.Copy(entity);
            case TableTransactionActionType.Delete:
                if (!_entities.TryGetValue(entity, out var stored)) throw NotFound();
                CheckETag(stored, etag);
                return null;
            case TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpdateReplace:
                TableServiceRules.ValidateEntity(entity);
                return Updated(entity, etag, action.ActionType == TableTransactionActionType.UpdateMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace);
            default:
                TableServiceRules.ValidateEntity(entity);
                return Updated(entity, null, action.ActionType == TableTransactionActionType.UpsertMerge ? TableUpdateMode.Merge : TableUpdateMode.Replace);
        }
    }

    private TableEntity Updated(TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        if (!_entities.TryGetValue(entity, out var stored))
            return ifMatch is null ? InMemoryEntities.Copy(entity) : throw NotFound();
        if (ifMatch is { } etag) CheckETag(stored, etag);
        return mode == TableUpdateMode.Merge ? InMemoryEntities.Merge(stored, entity) : InMemoryEntities.Copy(entity);
    }

    private ETag Store(TableEntity entity)
    {
        var timestamp = _nextTimestamp();
        entity.Timestamp = timestamp;
        // The service's ETag form: W/"datetime'<URL-encoded timestamp>'".
        entity.ETag = new ETag($"W/\"datetime'{Uri.EscapeDataString(timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture))}'\"");
        _entities.Add(entity);
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

    private sealed class KeyComparer : IComparer<TableEntity>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare(TableEntity? x, TableEntity? y)
        {
            var byPartition = string.CompareOrdinal(x!.PartitionKey, y!.PartitionKey);
            return byPartition != 0 ? byPartition : string.CompareOrdinal(x.RowKey, y.RowKey);
        }
    }
}
