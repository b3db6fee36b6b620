using Azure.Core;
using Azure.Core.Pipeline;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// A storage account's Table service over REST (Azure or Azurite), authenticated with the account key
/// (Shared Key Lite) or with Entra ID. Thread-safe; create one per account and share it.
/// </summary>
public sealed class TableServiceClient : ITableServiceClient
{
    /// <summary>The Entra ID scope for Azure Storage data-plane access.</summary>
    internal const string StorageScope = "https://storage.azure.com/.default";

    private readonly HttpPipeline _pipeline;
    private readonly string _version;

    /// <summary>Connects with a storage connection string (see <see cref="StorageConnectionString"/>).</summary>
    public TableServiceClient(string connectionString, TableClientOptions? options = null)
        : this(StorageConnectionString.Parse(connectionString), options ?? new TableClientOptions())
    {
    }

    /// <summary>Connects to <paramref name="endpoint"/> (e.g. <c>https://account.table.core.windows.net</c>) with Entra ID.</summary>
    public TableServiceClient(Uri endpoint, TokenCredential credential, TableClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(credential);
        options ??= new TableClientOptions();
        Uri = Normalise(endpoint);
        _version = options.Version;
        _pipeline = HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(credential, StorageScope));
    }

    private TableServiceClient(StorageConnectionString account, TableClientOptions options)
    {
        Uri = Normalise(account.TableEndpoint);
        _version = options.Version;
        _pipeline = HttpPipelineBuilder.Build(options, new TableSharedKeyPipelinePolicy(account.AccountName, account.AccountKey));
    }

    /// <summary>The Table service endpoint (for Azurite, including the account path).</summary>
    public Uri Uri { get; }

    /// <summary>A client for one table; cheap, shares this client's pipeline.</summary>
    public TableClient GetTableClient(string tableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        return new TableClient(_pipeline, Uri, tableName, _version);
    }

    ITableClient ITableServiceClient.GetTableClient(string tableName) => GetTableClient(tableName);

    // Request paths are appended to the endpoint's path; a trailing '/' would double up.
    private static Uri Normalise(Uri endpoint) =>
        new UriBuilder(endpoint) { Path = endpoint.AbsolutePath.TrimEnd('/'), Query = string.Empty, Fragment = string.Empty }.Uri;
}
