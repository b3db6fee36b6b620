using System.Linq.Expressions;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// One table held in memory with the Table service's semantics, error statuses and codes: ETags per write,
/// 409 on insert conflicts, 412 on stale ETags, 404 for missing entities and tables, merge vs replace, queries
/// ordered by PartitionKey then RowKey in pages of at most 1,000, atomic entity-group transactions, and the
/// service's key and size limits (400 <c>InvalidInput</c>, <c>PropertyValueTooLarge</c>, <c>EntityTooLarge</c>).
/// Callers get copies, so they cannot change stored state. Thread-safe.
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

    public Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default) => Run(() =>
    {
        if (ifMatch == default) throw new ArgumentException("An update needs an ETag; pass ETag.All to update unconditionally.", nameof(ifMatch));
        return TableFor(entity).Write(entity, ifMatch, mode);
    }, cancellationToken);

    public Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
        Run(() => TableFor(entity).Write(entity, ifMatch: null, mode), cancellationToken);

    public Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) => Run(() =>
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        return Table().Delete(partitionKey, rowKey, ifMatch == default ? ETag.All : ifMatch);
    }, cancellationToken);

    public AsyncPageable<TableEntity> QueryAsync(Expression<Func<TableEntity, bool>>? filter = null, int? maxPerPage = null,
        IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        var pageSize = TableServiceRules.PageSize(maxPerPage);
        var query = InMemoryQuery.For(filter);
        var projection = select?.ToList();
        return new Pageable((token, hint) =>
        {
            (string, string)? from = null;
            if (token is not null)
            {
                var (partitionKey, rowKey) = TableContinuationToken.Decode(token);
                from = (partitionKey, rowKey ?? "");
            }
            return Table().Query(query, projection, hint is null ? pageSize : TableServiceRules.PageSize(hint), from);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default) => Run(() =>
    {
        var batch = TableServiceRules.ValidateTransaction(actions);
        TableServiceRules.ValidateTableName(Name);
        foreach (var action in batch)
        {
            if (!TableServiceRules.IsValidKey(action.Entity.PartitionKey) || !TableServiceRules.IsValidKey(action.Entity.RowKey))
                throw TableServiceRules.InvalidKey();
        }
        return Table().Transact(batch);
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
            ?? throw TableServiceRules.Error(404, TableErrorCode.TableNotFound.ToString(), $"The table '{Name}' does not exist.");
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

    /// <summary>Pages fetched one at a time as the caller enumerates, resumable from a continuation token like the SDK's.</summary>
    private sealed class Pageable(Func<string?, int?, (List<TableEntity> Entities, string? ContinuationToken)> fetch, CancellationToken cancellationToken)
        : AsyncPageable<TableEntity>(cancellationToken)
    {
        public override async IAsyncEnumerable<Page<TableEntity>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
        {
            do
            {
                await Task.Yield();
                CancellationToken.ThrowIfCancellationRequested();
                var (entities, next) = fetch(continuationToken, pageSizeHint);
                yield return Page<TableEntity>.FromValues(entities, next, NoResponse.Instance);
                continuationToken = next;
            }
            while (continuationToken is not null);
        }
    }

    /// <summary>The raw response of an in-memory page: 200 with no headers or body (there is no HTTP exchange).</summary>
    private sealed class NoResponse : Response
    {
        public static readonly NoResponse Instance = new();

        public override int Status => 200;
        public override string ReasonPhrase => "OK";
        public override Stream? ContentStream { get => null; set { } }
        public override string ClientRequestId { get => ""; set { } }
        public override void Dispose() { }
        protected override bool ContainsHeader(string name) => false;
        protected override IEnumerable<HttpHeader> EnumerateHeaders() => [];
        protected override bool TryGetHeader(string name, out string value) { value = ""; return false; }
        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values) { values = []; return false; }
    }
}
