using System.Linq.Expressions;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// One table of Azure Table Storage or Azurite through the SDK's <see cref="TableClient"/>. Obtained from
/// <see cref="AzureTableServiceClient.GetTableClient"/>; thread-safe.
/// </summary>
public sealed class AzureTableClient : ITableClient
{
    private readonly TableClient _client;

    internal AzureTableClient(TableClient client) => _client = client;

    public string Name => _client.Name;

    /// <summary>The SDK client itself, for what this interface does not cover.</summary>
    public TableClient Client => _client;

    public Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
        _client.CreateIfNotExistsAsync(cancellationToken);

    public async Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default) =>
        (await _client.DeleteAsync(cancellationToken).ConfigureAwait(false)).Status != 404;

    public async Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) =>
        NewETag(await _client.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false));

    public async Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default)
    {
        if (!IsAddressable(partitionKey, rowKey)) return null;
        var response = await _client.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.HasValue) return response.Value;
        ThrowIfTableMissing(response.GetRawResponse());
        return null;
    }

    public async Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (ifMatch == default) throw new ArgumentException("An update needs an ETag; pass ETag.All to update unconditionally.", nameof(ifMatch));
        if (!IsAddressable(entity.PartitionKey, entity.RowKey)) throw TableServiceRules.InvalidKey();
        return NewETag(await _client.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken).ConfigureAwait(false));
    }

    public async Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (!IsAddressable(entity.PartitionKey, entity.RowKey)) throw TableServiceRules.InvalidKey();
        return NewETag(await _client.UpsertEntityAsync(entity, mode, cancellationToken).ConfigureAwait(false));
    }

    public async Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        if (!IsAddressable(partitionKey, rowKey)) return false;
        var response = await _client.DeleteEntityAsync(partitionKey, rowKey, ifMatch == default ? ETag.All : ifMatch, cancellationToken).ConfigureAwait(false);
        if (response.Status != 404) return true;
        ThrowIfTableMissing(response);
        return false;
    }

    public AsyncPageable<TableEntity> QueryAsync(Expression<Func<TableEntity, bool>>? filter = null, int? maxPerPage = null,
        IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        var pageSize = TableServiceRules.PageSize(maxPerPage);
        // Keys and Timestamp always come back, so every entity is addressable whatever the projection.
        var projection = select is null ? null : TableServiceRules.SystemSelect.Concat(select).Distinct(StringComparer.Ordinal).ToList();
        return filter is null
            ? _client.QueryAsync<TableEntity>((string?)null, pageSize, projection, cancellationToken)
            : _client.QueryAsync(filter, pageSize, projection, cancellationToken);
    }

    public async Task<IReadOnlyList<ETag>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        // Checked here as the service checks them: Azurite accepts several partitions and answers over 100 actions unreadably.
        var batch = TableServiceRules.ValidateTransaction(actions);
        // The SDK writes a TableEntity's properties as they are; a TableRow goes as the TableEntity of its properties.
        var request = batch.Select(a => a.Entity is TableRow row ? new TableTransactionAction(a.ActionType, row.ToTableEntity(), a.ETag) : a);
        var response = await _client.SubmitTransactionAsync(request, cancellationToken).ConfigureAwait(false);
        return response.Value.Select(r => r.Headers.ETag ?? default).ToList();
    }

    // The SDK answers every 404 of a read-if-exists or a delete with its response rather than an exception; a missing
    // entity is an answer, a missing table a configuration error that must not pass for "not there".
    private static void ThrowIfTableMissing(Response response)
    {
        if (response.Status == 404 && response.Headers.TryGetValue("x-ms-error-code", out var code) && code == TableErrorCode.TableNotFound)
            throw new RequestFailedException(response);
    }

    private static ETag NewETag(Response response) =>
        response.Headers.ETag ?? throw new RequestFailedException(response.Status, "The Table service returned no ETag for a write.");

    // Keys the service forbids cannot name an entity, and some ('/') break the URL itself (Azurite answers 500, which
    // the SDK retries), so such requests are answered here as the service answers writes with them: 400 InvalidInput.
    private static bool IsAddressable(string partitionKey, string rowKey) =>
        TableServiceRules.IsValidKey(partitionKey) && TableServiceRules.IsValidKey(rowKey);
}
