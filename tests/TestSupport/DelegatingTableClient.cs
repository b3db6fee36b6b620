using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Processing.Storage;

namespace EventProcessors.TestSupport;

/// <summary>
/// An <see cref="ITableClient"/> that forwards every call to <paramref name="inner"/>; tests override the calls they
/// count, fail or delay.
/// </summary>
public class DelegatingTableClient(ITableClient inner) : ITableClient
{
    protected ITableClient Inner { get; } = inner;

    public string Name => Inner.Name;

    public virtual Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => Inner.CreateIfNotExistsAsync(cancellationToken);

    public virtual Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default) => Inner.DeleteIfExistsAsync(cancellationToken);

    public virtual Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) =>
        Inner.AddEntityAsync(entity, cancellationToken);

    public virtual Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default) =>
        Inner.GetEntityAsync(partitionKey, rowKey, cancellationToken);

    public virtual Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
        Inner.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken);

    public virtual Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
        Inner.UpsertEntityAsync(entity, mode, cancellationToken);

    public virtual Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
        Inner.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken);

    public virtual AsyncPageable<TableEntity> QueryAsync(Expression<Func<TableEntity, bool>>? filter = null, int? maxPerPage = null,
        IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
        Inner.QueryAsync(filter, maxPerPage, select, cancellationToken);

    public virtual Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default) =>
        Inner.SubmitTransactionAsync(actions, cancellationToken);
}

/// <summary>An account whose every table is wrapped by <paramref name="wrap"/>.</summary>
public sealed class DelegatingTableServiceClient(ITableServiceClient inner, Func<ITableClient, ITableClient> wrap) : ITableServiceClient
{
    public ITableClient GetTableClient(string tableName) => wrap(inner.GetTableClient(tableName));
}
