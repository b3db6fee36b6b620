using Azure;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// One table held in memory with the Table service's semantics, error statuses and codes: ETags per write,
/// 409 on insert conflicts, 412 on stale ETags, 404 for missing entities and tables, merge vs replace, queries
/// ordered by PartitionKey then RowKey in pages of at most 1,000, and the service's key and size limits
/// (400 <c>InvalidInput</c>, <c>PropertyValueTooLarge</c>, <c>EntityTooLarge</c>). Callers get copies, so they
/// cannot change stored state. Thread-safe.
/// </summary>
public sealed class InMemoryTableClient : ITableClient
{
    private readonly InMemoryTableServiceClient _service;

    internal InMemoryTableClient(InMemoryTableServiceClient service, string name)
    {
        _service = service;
        Name = name;
    }

    public string Name { get; }

    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => Run(() =>
    {
        TableServiceRules.ValidateTableName(Name);
        _service.CreateTable(Name);
        return true;
    }, cancellationToken);

    public Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default) => Run(() =>
    {
        TableServiceRules.ValidateTableName(Name);
        return _service.DeleteTable(Name);
    }, cancellationToken);

    public Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) =>
        Run(() => TableFor(entity).Insert(entity), cancellationToken);

    public Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default) => Run(() =>
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        return Table().Get(partitionKey, rowKey);
    }, cancellationToken);

    public Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) => Run(() =>
    {
        if (ifMatch == default) throw new ArgumentException("An update needs an ETag; pass ETag.All to update unconditionally.", nameof(ifMatch));
        return TableFor(entity).Write(entity, ifMatch, mode);
    }, cancellationToken);

    public Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) =>
        Run(() => TableFor(entity).Write(entity, ifMatch: null, mode), cancellationToken);

    public Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) => Run(() =>
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        return Table().Delete(partitionKey, rowKey, ifMatch == default ? ETag.All : ifMatch);
    }, cancellationToken);

    public Task<TablePage> QueryPageAsync(TableQuery query, string? continuationToken = null, CancellationToken cancellationToken = default) => Run(() =>
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = TableServiceRules.PageSize(query);
        TableEntity? from = null;
        if (continuationToken is not null)
        {
            var (partitionKey, rowKey) = TableContinuationToken.Decode(continuationToken);
            from = new TableEntity(partitionKey, rowKey ?? "");
        }
        return Table().Query(query, pageSize, from);
    }, cancellationToken);

    // Checked in the service's order: table name, then the entity, then whether the table exists.
    private InMemoryTable TableFor(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        TableServiceRules.ValidateTableName(Name);
        TableServiceRules.ValidateEntity(entity);
        return Table();
    }

    private InMemoryTable Table()
    {
        TableServiceRules.ValidateTableName(Name);
        return _service.FindTable(Name)
            ?? throw TableErrors.Create(404, TableErrorCodes.TableNotFound, $"The table '{Name}' does not exist.");
    }

    // Completes synchronously, but reports failures through the task as an async method would.
    private static Task<T> Run<T>(Func<T> operation, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<T>(cancellationToken);
        try
        {
            return Task.FromResult(operation());
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }
}
