using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// One table over the Table REST API (Azure Storage or Azurite). Obtained from
/// <see cref="TableServiceClient.GetTableClient"/>; thread-safe.
/// </summary>
public sealed class TableClient : ITableClient
{
    // Writes send no metadata and ask for no content; reads ask for minimal metadata, which carries the
    // @odata.type annotations needed to restore Int64, Double, DateTime, Guid and Binary values exactly.
    private const string NoMetadata = "application/json;odata=nometadata";
    private const string MinimalMetadata = "application/json;odata=minimalmetadata";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly string _version;

    internal TableClient(HttpPipeline pipeline, Uri endpoint, string name, string version)
    {
        _pipeline = pipeline;
        _endpoint = endpoint;
        _version = version;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Creates the table; an existing table (409 <c>TableAlreadyExists</c>) is success.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, NoMetadata);
        message.Request.Uri.AppendPath("/Tables", escape: false);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJsonContent(message, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["TableName"] = Name }));
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status is 201 or 204) return;
        if (response.Status == 409 && TableErrors.ErrorCode(response) == TableErrorCodes.TableAlreadyExists) return;
        throw TableErrors.FromResponse(response);
    }

    /// <summary>Deletes the table and all its entities; false when it did not exist.</summary>
    public async Task<bool> DeleteIfExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, NoMetadata);
        message.Request.Uri.AppendPath("/Tables('", escape: false);
        message.Request.Uri.AppendPath(Name, escape: true);
        message.Request.Uri.AppendPath("')", escape: false);
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        return response.Status switch
        {
            204 => true,
            404 => false,
            _ => throw TableErrors.FromResponse(response),
        };
    }

    public async Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using var message = CreateMessage(RequestMethod.Post, NoMetadata);
        AppendTable(message.Request.Uri);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJsonContent(message, TableEntityJson.Write(entity));
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        return response.Status is 201 or 204 ? NewETag(response) : throw TableErrors.FromResponse(response);
    }

    public async Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        if (!IsAddressable(partitionKey, rowKey)) return null;
        using var message = CreateMessage(RequestMethod.Get, MinimalMetadata);
        AppendEntity(message.Request.Uri, partitionKey, rowKey);
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (IsEntityNotFound(response)) return null;
        if (response.Status != 200) throw TableErrors.FromResponse(response);
        using var json = JsonDocument.Parse(response.Content.ToMemory());
        var entity = TableEntityJson.Read(json.RootElement);
        if (entity.ETag == default && response.Headers.ETag is { } etag) entity.ETag = etag;
        return entity;
    }

    public async Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default)
    {
        if (ifMatch == default) throw new ArgumentException("An update needs an ETag; pass ETag.All to update unconditionally.", nameof(ifMatch));
        return await WriteAsync(entity, ifMatch, mode, cancellationToken).ConfigureAwait(false);
    }

    public Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Replace, CancellationToken cancellationToken = default) =>
        WriteAsync(entity, ifMatch: null, mode, cancellationToken); // no If-Match: the service inserts or updates

    public async Task<bool> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        if (!IsAddressable(partitionKey, rowKey)) return false;
        using var message = CreateMessage(RequestMethod.Delete, NoMetadata);
        AppendEntity(message.Request.Uri, partitionKey, rowKey);
        message.Request.Headers.SetValue(HttpHeader.Names.IfMatch, ifMatch == default ? "*" : ifMatch.ToString());
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status == 204) return true;
        return IsEntityNotFound(response) ? false : throw TableErrors.FromResponse(response);
    }

    public async Task<TablePage> QueryPageAsync(TableQuery query, string? continuationToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var top = TableServiceRules.PageSize(query);
        using var message = CreateMessage(RequestMethod.Get, MinimalMetadata);
        var uri = message.Request.Uri;
        AppendTable(uri);
        uri.AppendPath("()", escape: false);
        if (query.Filter is not null) uri.AppendQuery("$filter", query.Filter.ToOData(), escapeValue: true);
        if (query.PageSize is not null) uri.AppendQuery("$top", top.ToString(CultureInfo.InvariantCulture), escapeValue: false);
        if (query.Select is { Count: > 0 } select)
        {
            // Keys and Timestamp always come back, so every entity is addressable whatever the projection.
            uri.AppendQuery("$select", string.Join(',', new[] { "PartitionKey", "RowKey", "Timestamp" }.Concat(select)), escapeValue: true);
        }
        if (continuationToken is not null)
        {
            var (nextPartitionKey, nextRowKey) = TableContinuationToken.Decode(continuationToken);
            uri.AppendQuery("NextPartitionKey", nextPartitionKey, escapeValue: true);
            if (nextRowKey is not null) uri.AppendQuery("NextRowKey", nextRowKey, escapeValue: true);
        }

        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status != 200) throw TableErrors.FromResponse(response);
        using var json = JsonDocument.Parse(response.Content.ToMemory());
        var entities = json.RootElement.GetProperty("value").EnumerateArray().Select(TableEntityJson.Read).ToList();
        string? next = null;
        if (response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var partition))
        {
            response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out var row);
            next = TableContinuationToken.Encode(partition, row);
        }
        return new TablePage(entities, next);
    }

    private async Task<ETag> WriteAsync(TableEntity entity, ETag? ifMatch, TableUpdateMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (!IsAddressable(entity.PartitionKey, entity.RowKey)) throw TableServiceRules.InvalidKey();
        using var message = CreateMessage(mode == TableUpdateMode.Replace ? RequestMethod.Put : RequestMethod.Patch, NoMetadata);
        AppendEntity(message.Request.Uri, entity.PartitionKey, entity.RowKey);
        if (ifMatch is { } etag) message.Request.Headers.SetValue(HttpHeader.Names.IfMatch, etag.ToString());
        SetJsonContent(message, TableEntityJson.Write(entity));
        var response = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        return response.Status == 204 ? NewETag(response) : throw TableErrors.FromResponse(response);
    }

    private HttpMessage CreateMessage(RequestMethod method, string accept)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        request.Uri.Reset(_endpoint);
        request.Headers.SetValue("x-ms-version", _version);
        request.Headers.SetValue("DataServiceVersion", "3.0");
        request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
        request.Headers.SetValue(HttpHeader.Names.Accept, accept);
        return message;
    }

    private async Task<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        return message.Response;
    }

    private void AppendTable(RequestUriBuilder uri)
    {
        uri.AppendPath("/", escape: false);
        uri.AppendPath(Name, escape: true);
    }

    private void AppendEntity(RequestUriBuilder uri, string partitionKey, string rowKey)
    {
        AppendTable(uri);
        uri.AppendPath($"(PartitionKey='{EscapeKey(partitionKey)}',RowKey='{EscapeKey(rowKey)}')", escape: false);
    }

    // An OData string literal doubles its quotes; the result is then percent-encoded for the path.
    private static string EscapeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private static void SetJsonContent(HttpMessage message, ReadOnlyMemory<byte> json)
    {
        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, NoMetadata);
        message.Request.Content = RequestContent.Create(json);
    }

    private static ETag NewETag(Response response) =>
        response.Headers.ETag ?? throw new RequestFailedException(response.Status, "The Table service returned no ETag for a write.");

    // Keys the service forbids cannot name an entity, and some of them ('/') break the URL itself (Azurite answers
    // 500, which would be retried), so such requests are answered here as the service answers writes: 400 InvalidInput.
    private static bool IsAddressable(string partitionKey, string rowKey) =>
        TableServiceRules.IsValidKey(partitionKey) && TableServiceRules.IsValidKey(rowKey);

    // A missing entity is an answer; a missing table (TableNotFound) is a configuration error and is thrown.
    private static bool IsEntityNotFound(Response response) =>
        response.Status == 404 && TableErrors.ErrorCode(response) != TableErrorCodes.TableNotFound;
}
