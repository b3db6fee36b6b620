using Azure;

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
            if (_entities.Contains(entity))
                throw TableErrors.Create(409, TableErrorCodes.EntityAlreadyExists, "The specified entity already exists.");
            return Store(entity.Clone());
        }
    }

    public TableEntity? Get(string partitionKey, string rowKey)
    {
        lock (_sync)
        {
            return _entities.TryGetValue(new TableEntity(partitionKey, rowKey), out var stored) ? stored.Clone() : null;
        }
    }

    /// <summary>Updates an existing entity whose ETag matches; <paramref name="ifMatch"/> null means insert-or-update.</summary>
    public ETag Write(TableEntity entity, ETag? ifMatch, TableUpdateMode mode)
    {
        lock (_sync)
        {
            if (!_entities.TryGetValue(entity, out var stored))
            {
                if (ifMatch is not null)
                    throw TableErrors.Create(404, TableErrorCodes.ResourceNotFound, "The specified resource does not exist.");
                return Store(entity.Clone());
            }
            if (ifMatch is { } etag) CheckETag(stored, etag);
            var updated = mode == TableUpdateMode.Merge ? Merge(stored, entity) : entity.Clone();
            _entities.Remove(stored);
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

    /// <summary>Up to <paramref name="pageSize"/> matches from <paramref name="from"/> on, and the keys of the next match.</summary>
    public TablePage Query(TableQuery query, int pageSize, TableEntity? from)
    {
        lock (_sync)
        {
            if (_entities.Count == 0 || from is not null && KeyComparer.Instance.Compare(from, _entities.Max) > 0)
                return new TablePage([], null);
            var candidates = from is null ? _entities : _entities.GetViewBetween(from, _entities.Max);
            var page = new List<TableEntity>();
            foreach (var entity in candidates)
            {
                if (query.Filter is not null && !query.Filter.Matches(entity)) continue;
                if (page.Count == pageSize)
                    return new TablePage(page, TableContinuationToken.Encode(entity.PartitionKey, entity.RowKey));
                page.Add(Project(entity, query.Select));
            }
            return new TablePage(page, null);
        }
    }

    private ETag Store(TableEntity entity)
    {
        var timestamp = _nextTimestamp();
        entity.Timestamp = timestamp;
        // The service's ETag form: W/"datetime'<URL-encoded timestamp>'".
        entity.ETag = new ETag($"W/\"datetime'{Uri.EscapeDataString(TableEntityJson.FormatDate(timestamp))}'\"");
        _entities.Add(entity);
        return entity.ETag;
    }

    private static void CheckETag(TableEntity stored, ETag ifMatch)
    {
        if (ifMatch != ETag.All && ifMatch != stored.ETag)
            throw TableErrors.Create(412, TableErrorCodes.UpdateConditionNotSatisfied,
                "The update condition specified in the request was not satisfied.");
    }

    private static TableEntity Merge(TableEntity stored, TableEntity changes)
    {
        var merged = stored.Clone();
        foreach (var (name, value) in changes.Clone().Properties) merged[name] = value;
        return merged;
    }

    private static TableEntity Project(TableEntity entity, IReadOnlyList<string>? select)
    {
        if (select is not { Count: > 0 }) return entity.Clone();
        var projected = new TableEntity(entity.PartitionKey, entity.RowKey) { ETag = entity.ETag, Timestamp = entity.Timestamp };
        foreach (var name in select) projected[name] = entity[name] is byte[] b ? (byte[])b.Clone() : entity[name];
        return projected;
    }

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
