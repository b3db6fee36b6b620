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
    // The name never changes, so it is checked once; a bad one still fails every call, as the service's would.
    private readonly bool _validName;
    // The table this client last found, kept until it is deleted, so that most calls skip the account's lookup by name.
    private InMemoryTable? _table;

    internal InMemoryTableClient(InMemoryTableServiceClient service, string name)
    {
        _service = service;
        Name = name;
        _validName = TableServiceRules.IsValidTableName(name);
    }

    public string Name { get; }

    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => Run(static (client, _) =>
    {
        client.ValidateName();
        client._service.CreateTable(client.Name);
        return true;
    }, false, cancellationToken);

    public Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default) => Run(static (client, _) =>
    {
        client.ValidateName();
        return client._service.DeleteTable(client.Name);
    }, false, cancellationToken);

    public Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) =>
        Run(static (client, entity) => client.TableFor(entity).Insert(entity), entity, cancellationToken);

    public Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default) => Run(static (client, keys) =>
    {
        ArgumentNullException.ThrowIfNull(keys.partitionKey, "partitionKey");
        ArgumentNullException.ThrowIfNull(keys.rowKey, "rowKey");
        return client.Table().Get(keys.partitionKey, keys.rowKey);
    }, (partitionKey, rowKey), cancellationToken);

    public Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default) => Run(static (client, update) =>
    {
        if (update.ifMatch == default) throw new ArgumentException("An update needs an ETag; pass ETag.All to update unconditionally.", "ifMatch");
        return client.TableFor(update.entity).Write(update.entity, update.ifMatch, update.mode);
    }, (entity, ifMatch, mode), cancellationToken);

    public Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
        Run(static (client, upsert) => client.TableFor(upsert.entity).Write(upsert.entity, ifMatch: null, upsert.mode), (entity, mode), cancellationToken);

    public Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) => Run(static (client, delete) =>
    {
        ArgumentNullException.ThrowIfNull(delete.partitionKey, "partitionKey");
        ArgumentNullException.ThrowIfNull(delete.rowKey, "rowKey");
        return client.Table().Delete(delete.partitionKey, delete.rowKey, delete.ifMatch == default ? ETag.All : delete.ifMatch);
    }, (partitionKey, rowKey, ifMatch), cancellationToken);

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

    public Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default) => Run(static (client, actions) =>
    {
        var batch = TableServiceRules.ValidateTransaction(actions);
        client.ValidateName();
        foreach (var action in batch)
        {
            if (!TableServiceRules.IsValidKey(action.Entity.PartitionKey) || !TableServiceRules.IsValidKey(action.Entity.RowKey))
                throw TableServiceRules.InvalidKey();
        }
        return client.Table().Transact(batch);
    }, actions, cancellationToken);

    private void ValidateName()
    {
        if (!_validName) TableServiceRules.ValidateTableName(Name);
    }

    // Checked in the service's order: table name, then the entity, then whether the table exists.
    private InMemoryTable TableFor(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ValidateName();
        TableServiceRules.ValidateEntity(entity);
        return Table();
    }

    private InMemoryTable Table()
    {
        ValidateName();
        if (_table is { Deleted: false } table) return table;
        return _table = _service.FindTable(Name)
            ?? throw TableServiceRules.Error(404, TableErrorCode.TableNotFound.ToString(), $"The table '{Name}' does not exist.");
    }

    // Completes synchronously, but reports failures through the task as an async method would. The operations are static
    // lambdas over this client and their arguments, so a call makes no closure.
    private Task<T> Run<TState, T>(Func<InMemoryTableClient, TState, T> operation, TState state, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<T>(cancellationToken);
        try
        {
            return Task.FromResult(operation(this, state));
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
