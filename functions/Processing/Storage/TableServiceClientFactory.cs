using Azure.Core;

namespace EventProcessors.Processing.Storage;

/// <summary>Builds the <see cref="ITableServiceClient"/> that <see cref="TableStorageOptions"/> describe.</summary>
public static class TableServiceClientFactory
{
    /// <summary>The connection string that selects <see cref="InMemoryTableServiceClient"/> (case-insensitive).</summary>
    public const string InMemoryConnectionString = "inmemory";

    /// <summary>
    /// An in-memory account for <c>ConnectionString=inmemory</c>, Entra ID for <see cref="TableStorageOptions.TableServiceUri"/>
    /// (needs <paramref name="credential"/>), otherwise the REST client with the connection string's shared key;
    /// wrapped to apply <see cref="TableStorageOptions.TableNamePrefix"/> when one is set.
    /// </summary>
    public static ITableServiceClient Create(TableStorageOptions options, TokenCredential? credential = null, TableClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var prefix = options.TableNamePrefix ?? "";
        if (prefix.Length > 0 && (!char.IsAsciiLetter(prefix[0]) || !prefix.All(char.IsAsciiLetterOrDigit)))
            throw new ArgumentException($"TableNamePrefix '{prefix}' must be letters and digits, starting with a letter.", nameof(options));

        ITableServiceClient client;
        if (options.TableServiceUri is { } endpoint)
        {
            client = new TableServiceClient(endpoint,
                credential ?? throw new ArgumentException("TableServiceUri is set, so a TokenCredential is required.", nameof(credential)),
                clientOptions);
        }
        else if (string.Equals(options.ConnectionString?.Trim(), InMemoryConnectionString, StringComparison.OrdinalIgnoreCase))
        {
            client = new InMemoryTableServiceClient();
        }
        else
        {
            client = new TableServiceClient(options.ConnectionString ?? "", clientOptions);
        }
        return prefix.Length == 0 ? client : new PrefixedTableServiceClient(client, prefix);
    }

    private sealed class PrefixedTableServiceClient(ITableServiceClient inner, string prefix) : ITableServiceClient
    {
        public ITableClient GetTableClient(string tableName) => inner.GetTableClient(prefix + tableName);
    }
}
