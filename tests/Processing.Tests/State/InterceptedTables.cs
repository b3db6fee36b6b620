using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.State;

public enum TableCallKind { Read, Query, Write }

/// <summary>One request to a table: a point read, one page of a query, or a write of the given rows (several for a transaction).</summary>
public sealed record TableCall(string Table, TableCallKind Kind, IReadOnlyList<TableEntity> Rows);

/// <summary>
/// Tables that show every request to <paramref name="intercept"/> before sending it; the callback may throw to fail it
/// (a worker dying before that request). The requests go to the real tables (Azurite or in memory) unchanged.
/// </summary>
internal sealed class InterceptedTables(ITableServiceClient inner, Action<TableCall> intercept) : ITableServiceClient
{
    public ITableClient GetTableClient(string tableName) => new Table(inner.GetTableClient(tableName), intercept);

    private sealed class Table(ITableClient inner, Action<TableCall> intercept) : DelegatingTableClient(inner)
    {
        public override Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
        {
            Write(entity);
            return base.AddEntityAsync(entity, cancellationToken);
        }

        public override Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default)
        {
            intercept(new TableCall(Name, TableCallKind.Read, [new TableEntity(partitionKey, rowKey)]));
            return base.GetEntityAsync(partitionKey, rowKey, cancellationToken);
        }

        public override Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default)
        {
            Write(entity);
            return base.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken);
        }

        public override Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default)
        {
            Write(entity);
            return base.UpsertEntityAsync(entity, mode, cancellationToken);
        }

        public override Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
        {
            Write(new TableEntity(partitionKey, rowKey));
            return base.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken);
        }

        public override AsyncPageable<TableEntity> QueryAsync(Expression<Func<TableEntity, bool>>? filter = null, int? maxPerPage = null,
            IEnumerable<string>? select = null, CancellationToken cancellationToken = default) =>
            new CountedPages(base.QueryAsync(filter, maxPerPage, select, cancellationToken), () => intercept(new TableCall(Name, TableCallKind.Query, [])));

        public override Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default)
        {
            var batch = actions.ToList();
            intercept(new TableCall(Name, TableCallKind.Write, [.. batch.Select(a => a.Entity as TableEntity ?? new TableEntity(a.Entity.PartitionKey, a.Entity.RowKey))]));
            return base.SubmitTransactionAsync(batch, cancellationToken);
        }

        private void Write(TableEntity entity) => intercept(new TableCall(Name, TableCallKind.Write, [entity]));
    }

    /// <summary>The query's pages, each shown to the callback before it is fetched.</summary>
    private sealed class CountedPages(AsyncPageable<TableEntity> inner, Action onPage) : AsyncPageable<TableEntity>
    {
        public override async IAsyncEnumerable<Page<TableEntity>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
        {
            onPage();
            await foreach (var page in inner.AsPages(continuationToken, pageSizeHint).ConfigureAwait(false))
            {
                yield return page;
                if (page.ContinuationToken is not null) onPage();
            }
        }
    }
}

/// <summary>
/// Counts the requests made through <see cref="Tables"/> and sums the bytes of the rows written: the bytes are what shows
/// a document that grows, whose rewrite costs one request however large it is.
/// </summary>
internal sealed class MeteredTables
{
    private int _reads, _queries, _writes;
    private long _bytesWritten;

    public MeteredTables(ITableServiceClient inner) => Tables = new InterceptedTables(inner, Count);

    public ITableServiceClient Tables { get; }

    /// <summary>Requests so far (reads, query pages and writes; a transaction is one write).</summary>
    public int Requests => _reads + _queries + _writes;

    public (int Reads, int Queries, int Writes, long BytesWritten) Snapshot() => (_reads, _queries, _writes, Interlocked.Read(ref _bytesWritten));

    /// <summary>Runs <paramref name="work"/> and returns what it cost.</summary>
    public async Task<TableCost> MeasureAsync(Func<Task> work)
    {
        var before = Snapshot();
        await work();
        var after = Snapshot();
        return new TableCost(after.Reads - before.Reads, after.Queries - before.Queries, after.Writes - before.Writes, after.BytesWritten - before.BytesWritten);
    }

    private void Count(TableCall call)
    {
        switch (call.Kind)
        {
            case TableCallKind.Read: Interlocked.Increment(ref _reads); break;
            case TableCallKind.Query: Interlocked.Increment(ref _queries); break;
            default:
                Interlocked.Increment(ref _writes);
                Interlocked.Add(ref _bytesWritten, call.Rows.Sum(EntitySize.Of));
                break;
        }
    }
}

/// <summary>What some work cost in table requests, and the bytes of the rows it wrote.</summary>
public sealed record TableCost(int Reads, int Queries, int Writes, long BytesWritten)
{
    public int Requests => Reads + Queries + Writes;
}

/// <summary>An entity's size as the Table service counts it against its 1 MiB limit (Learn, "Understanding the Table service data model").</summary>
internal static class EntitySize
{
    public static long Of(TableEntity entity) =>
        4 + 2L * (entity.PartitionKey.Length + entity.RowKey.Length) + entity.Properties().Sum(p => 8 + 2L * p.Key.Length + p.Value switch
        {
            string text => 4 + 2L * text.Length,
            byte[] bytes => 4 + bytes.Length,
            int => 4,
            bool => 1,
            Guid => 16,
            _ => 8,
        });
}

/// <summary>Tables on which the worker dies at the first write <c>dieAt</c> picks: that request and every one after it fail.</summary>
internal static class CrashingTables
{
    public static ITableServiceClient At(ITableServiceClient tables, Func<TableCall, bool> dieAt)
    {
        var dead = false;
        return new InterceptedTables(tables, call =>
        {
            if (dead || call.Kind == TableCallKind.Write && dieAt(call))
            {
                dead = true;
                throw new IOException("simulated crash");
            }
        });
    }

    /// <summary>Whether the call writes to the entity whose key is the joined <paramref name="entity"/> parts (any tenant) in <paramref name="table"/>.</summary>
    public static bool Writes(this TableCall call, string table, params string[] entity) =>
        call.Kind == TableCallKind.Write && call.Table == table && call.Rows.Any(r => r.PartitionKey.EndsWith("|" + StorageKeys.Join(entity), StringComparison.Ordinal));
}
