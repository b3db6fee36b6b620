using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// One table, in the Azure.Data.Tables vocabulary (<see cref="TableEntity"/>, <see cref="ETag"/>,
/// <see cref="TableUpdateMode"/>, <see cref="TableTransactionAction"/>). Implemented by <see cref="AzureTableClient"/>
/// over the SDK's <see cref="TableClient"/> and by <see cref="InMemoryTableClient"/> with the same semantics, so every
/// store above it is written once. Failures are the SDK's <see cref="RequestFailedException"/> with the service's
/// status and <see cref="Azure.Data.Tables.Models.TableErrorCode"/>. Implementations are thread-safe.
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
    /// 404 <c>ResourceNotFound</c> if absent. The mode has no default (the SDK's is Merge, this interface's was Replace).
    /// Returns the new ETag.</summary>
    Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default);

    /// <summary>Inserts or updates unconditionally. Returns the new ETag.</summary>
    Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default);

    /// <summary>Deletes if the ETag matches (default: any). Returns false when the entity did not exist; 412 on mismatch;
    /// a missing table is 404 <c>TableNotFound</c>.</summary>
    Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default);

    /// <summary>
    /// The entities matching <paramref name="filter"/> (null: all), ordered by PartitionKey then RowKey, in pages of at
    /// most <paramref name="maxPerPage"/> (capped at the service's 1,000); <see cref="AsyncPageable{T}.AsPages"/> resumes
    /// from a continuation token. The filter is what the SDK translates to OData: compare <c>PartitionKey</c>,
    /// <c>RowKey</c>, <c>Timestamp</c>, <c>GetString/GetInt32/GetInt64/GetDouble/GetBoolean/GetGuid(name)</c> or a cast
    /// of <c>entity[name]</c> (DateTimeOffset), with strings ordered by <c>CompareTo</c> (ordinal, as the service does).
    /// <paramref name="select"/> projects; keys, ETag and Timestamp always come back.
    /// </summary>
    AsyncPageable<TableEntity> QueryAsync(
        Expression<Func<TableEntity, bool>>? filter = null,
        int? maxPerPage = null,
        IEnumerable<string>? select = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// An entity-group transaction: 1 to 100 actions on distinct rows of one partition, applied all or none. Returns the
    /// new ETag of each action (default for deletes). A failed action throws <see cref="TableTransactionFailedException"/>
    /// naming its index, and nothing is written; more than 100 actions, several partitions or a row twice is 400.
    /// </summary>
    Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default);
}

/// <summary>Hands out table clients; one per storage account (or one in-memory account).</summary>
public interface ITableServiceClient
{
    ITableClient GetTableClient(string tableName);
}

public static class TableClientExtensions
{
    /// <summary>The most actions one entity-group transaction may hold.</summary>
    public const int MaxTransactionActions = 100;

    /// <summary>Every entity of one partition whose RowKey starts with <paramref name="rowKeyPrefix"/>: a range scan.</summary>
    public static AsyncPageable<TableEntity> QueryPartitionAsync(this ITableClient table, string partitionKey, string rowKeyPrefix = "",
        int? maxPerPage = null, CancellationToken cancellationToken = default)
    {
        if (rowKeyPrefix.Length == 0) return table.QueryAsync(e => e.PartitionKey == partitionKey, maxPerPage, null, cancellationToken);
        var end = rowKeyPrefix + '\uffff';
        return table.QueryAsync(
            e => e.PartitionKey == partitionKey && e.RowKey.CompareTo(rowKeyPrefix) >= 0 && e.RowKey.CompareTo(end) < 0,
            maxPerPage, null, cancellationToken);
    }

    /// <summary>The custom properties of an entity: everything but the keys, ETag and Timestamp, and no null values.</summary>
    public static IEnumerable<KeyValuePair<string, object>> Properties(this TableEntity entity) =>
        entity.Where(p => p.Value is not null && !IsSystemProperty(p.Key))!;

    internal static bool IsSystemProperty(string name) => name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag";

    public static bool IsConflict(this RequestFailedException e) => e.Status == 409;
    public static bool IsPreconditionFailed(this RequestFailedException e) => e.Status == 412;
    public static bool IsNotFound(this RequestFailedException e) => e.Status == 404;
}
