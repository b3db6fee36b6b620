using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Processing.Storage;

namespace EventProcessors.TestSupport;

/// <summary>
/// A worker "process"'s view of a table account that can be cut off, as a killed process is: after <see cref="Sever"/>
/// none of its calls reach the store (so its lease renewals stop), while other workers keep using the same account.
/// A stand-in for running the worker in another process, which the chaos suite does for real.
/// </summary>
public sealed class SeverableTables(ITableServiceClient inner) : ITableServiceClient
{
    private volatile bool _severed;

    public void Sever() => _severed = true;

    public ITableClient GetTableClient(string tableName) => new Client(this, inner.GetTableClient(tableName));

    private sealed class Client(SeverableTables owner, ITableClient inner) : ITableClient
    {
        public string Name => inner.Name;
        public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) => Gate(() => inner.CreateIfNotExistsAsync(cancellationToken));
        public Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default) => Gate(() => inner.DeleteIfExistsAsync(cancellationToken));
        public Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) => Gate(() => inner.AddEntityAsync(entity, cancellationToken));
        public Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default) =>
            Gate(() => inner.GetEntityAsync(partitionKey, rowKey, cancellationToken));
        public Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
            Gate(() => inner.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken));
        public Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
            Gate(() => inner.UpsertEntityAsync(entity, mode, cancellationToken));
        public Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
            Gate(() => inner.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken));
        public AsyncPageable<TableEntity> QueryAsync(Expression<Func<TableEntity, bool>>? filter = null, int? maxPerPage = null,
            IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
            owner._severed ? throw Gone() : inner.QueryAsync(filter, maxPerPage, select, cancellationToken);
        public Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default) =>
            Gate(() => inner.SubmitTransactionAsync(actions, cancellationToken));

        private Task<T> Gate<T>(Func<Task<T>> call) => owner._severed ? Task.FromException<T>(Gone()) : call();

        private Task Gate(Func<Task> call) => owner._severed ? Task.FromException(Gone()) : call();

        private static RequestFailedException Gone() => new(0, "the worker process is gone");
    }
}
