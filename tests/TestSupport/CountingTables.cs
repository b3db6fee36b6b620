using System.Collections.Concurrent;
using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Processing.Storage;

namespace EventProcessors.TestSupport;

/// <summary>
/// Tables that count the requests made through them (one per call, one per query page, one per transaction) and keep
/// every entity a query returned, to show what a store costs and what it reads.
/// </summary>
public sealed class CountingTables(ITableServiceClient inner) : ITableServiceClient
{
    private int _requests;

    /// <summary>Requests by operation name (AddEntity, GetEntity, UpdateEntity, UpsertEntity, DeleteEntity, QueryPage, SubmitTransaction, ...).</summary>
    public ConcurrentDictionary<string, int> ByOperation { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<TableEntity> Queried { get; } = new();

    public int Requests => Volatile.Read(ref _requests);

    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        ByOperation.Clear();
        Queried.Clear();
    }

    public ITableClient GetTableClient(string tableName) => new Table(inner.GetTableClient(tableName), this);

    private void Count(string operation)
    {
        Interlocked.Increment(ref _requests);
        ByOperation.AddOrUpdate(operation, 1, (_, n) => n + 1);
    }

    private sealed class Table(ITableClient inner, CountingTables owner) : DelegatingTableClient(inner)
    {
        public override Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => Counted("CreateTable", base.CreateIfNotExistsAsync(cancellationToken));

        public override Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) =>
            Counted("AddEntity", base.AddEntityAsync(entity, cancellationToken));

        public override Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default) =>
            Counted("GetEntity", base.GetEntityAsync(partitionKey, rowKey, cancellationToken));

        public override Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
            Counted("UpdateEntity", base.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken));

        public override Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
            Counted("UpsertEntity", base.UpsertEntityAsync(entity, mode, cancellationToken));

        public override Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
            Counted("DeleteEntity", base.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken));

        public override Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default) =>
            Counted("SubmitTransaction", base.SubmitTransactionAsync(actions, cancellationToken));

        public override AsyncPageable<TableEntity> QueryAsync(Expression<Func<TableEntity, bool>>? filter = null, int? maxPerPage = null,
            IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
            new CountedPages(base.QueryAsync(filter, maxPerPage, select, cancellationToken), owner);

        private T Counted<T>(string operation, T task)
        {
            owner.Count(operation);
            return task;
        }
    }

    private sealed class CountedPages(AsyncPageable<TableEntity> inner, CountingTables owner) : AsyncPageable<TableEntity>
    {
        public override async IAsyncEnumerable<Page<TableEntity>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
        {
            await foreach (var page in inner.AsPages(continuationToken, pageSizeHint).ConfigureAwait(false))
            {
                owner.Count("QueryPage");
                foreach (var entity in page.Values) owner.Queried.Enqueue(entity);
                yield return page;
            }
        }
    }
}
