using Azure;
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
        public Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) =>
            Gate(() => inner.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken));
        public Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) =>
            Gate(() => inner.UpsertEntityAsync(entity, mode, cancellationToken));
        public Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default) =>
            Gate(() => inner.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken));
        public Task<TablePage> QueryPageAsync(TableQuery query, string? continuationToken = null, CancellationToken cancellationToken = default) =>
            Gate(() => inner.QueryPageAsync(query, continuationToken, cancellationToken));

        private Task<T> Gate<T>(Func<Task<T>> call) => owner._severed ? Task.FromException<T>(new RequestFailedException(0, "the worker process is gone")) : call();

        private Task Gate(Func<Task> call) => owner._severed ? Task.FromException(new RequestFailedException(0, "the worker process is gone")) : call();
    }
}
