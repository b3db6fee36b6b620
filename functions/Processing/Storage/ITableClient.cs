using Azure;

namespace EventProcessors.Processing.Storage;

/// <summary>How an update treats properties the new entity does not carry.</summary>
public enum TableUpdateMode
{
    /// <summary>Properties not in the new entity are kept.</summary>
    Merge,
    /// <summary>The stored entity becomes exactly the new one.</summary>
    Replace,
}

/// <summary>One page of a query and the token for the next page (null on the last page).</summary>
public sealed record TablePage(IReadOnlyList<TableEntity> Entities, string? ContinuationToken);

/// <summary>
/// One table. Implemented over the Table REST API (<see cref="TableClient"/>) and in memory
/// (<see cref="InMemoryTableClient"/>) with the same semantics, so every store above it is written once.
/// Failures surface as <see cref="RequestFailedException"/> carrying the service's status and error code
/// (see <see cref="TableErrorCodes"/>). Implementations are thread-safe.
/// </summary>
public interface ITableClient
{
    string Name { get; }

    Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the table and its entities; false when it did not exist.</summary>
    Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts; 409 <c>EntityAlreadyExists</c> if the keys are taken. Returns the new ETag.</summary>
    Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default);

    /// <summary>Reads one entity, or null when it does not exist (a missing table is still 404 <c>TableNotFound</c>).</summary>
    Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default);

    /// <summary>Updates only if the stored ETag matches <paramref name="ifMatch"/> (<see cref="ETag.All"/> for any;
    /// the default ETag is an <see cref="ArgumentException"/>); 412 <c>UpdateConditionNotSatisfied</c> on mismatch,
    /// 404 <c>ResourceNotFound</c> if absent. Returns the new ETag.</summary>
    Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default);

    /// <summary>Inserts or updates unconditionally. Returns the new ETag.</summary>
    Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default);

    /// <summary>Deletes if the ETag matches (default: any). Returns false when the entity did not exist; 412 on mismatch;
    /// a missing table is 404 <c>TableNotFound</c>.</summary>
    Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default);

    /// <summary>One page of entities matching <paramref name="query"/> (at most 1,000, as the service pages).</summary>
    Task<TablePage> QueryPageAsync(TableQuery query, string? continuationToken = null, CancellationToken cancellationToken = default);
}

/// <summary>Hands out table clients; one per storage account (or one in-memory account).</summary>
public interface ITableServiceClient
{
    ITableClient GetTableClient(string tableName);
}

/// <summary>Error codes the Table service returns in <c>x-ms-error-code</c>.</summary>
public static class TableErrorCodes
{
    public const string EntityAlreadyExists = "EntityAlreadyExists";
    public const string UpdateConditionNotSatisfied = "UpdateConditionNotSatisfied";
    public const string ResourceNotFound = "ResourceNotFound";
    public const string EntityNotFound = "EntityNotFound";
    public const string TableNotFound = "TableNotFound";
    public const string TableAlreadyExists = "TableAlreadyExists";
    public const string EntityTooLarge = "EntityTooLarge";
    public const string PropertyValueTooLarge = "PropertyValueTooLarge";
}

public static class TableClientExtensions
{
    /// <summary>Every entity matching <paramref name="query"/>, following continuation tokens.</summary>
    public static async IAsyncEnumerable<TableEntity> QueryAsync(
        this ITableClient table,
        TableQuery query,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? token = null;
        do
        {
            var page = await table.QueryPageAsync(query, token, cancellationToken).ConfigureAwait(false);
            foreach (var entity in page.Entities) yield return entity;
            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    public static bool IsConflict(this RequestFailedException e) => e.Status == 409;
    public static bool IsPreconditionFailed(this RequestFailedException e) => e.Status == 412;
    public static bool IsNotFound(this RequestFailedException e) => e.Status == 404;
}
