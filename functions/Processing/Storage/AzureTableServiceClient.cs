using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>A storage account's Table service (Azure or Azurite) through the SDK's <see cref="TableServiceClient"/>. Thread-safe.</summary>
public sealed class AzureTableServiceClient(TableServiceClient client) : ITableServiceClient
{
    /// <summary>The SDK client itself, for what this interface does not cover.</summary>
    public TableServiceClient Client { get; } = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The Table service endpoint (for Azurite, including the account path).</summary>
    public Uri Uri => Client.Uri;

    /// <summary>A client for one table; cheap, shares this client's pipeline.</summary>
    public ITableClient GetTableClient(string tableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        return new AzureTableClient(Client.GetTableClient(tableName));
    }
}
