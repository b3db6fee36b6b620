using Azure.Core;
using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>Builds the <see cref="ITableServiceClient"/> that <see cref="TableStorageOptions"/> describe.</summary>
public static class TableServiceClientFactory
{
    /// <summary>The connection string that selects <see cref="InMemoryTableServiceClient"/> (case-insensitive).</summary>
    public const string InMemoryConnectionString = "inmemory";

    /// <summary>The account name of Azurite's well-known development credentials (what <c>UseDevelopmentStorage=true</c> means).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>
    /// An in-memory account for <c>ConnectionString=inmemory</c>, the SDK with Entra ID for
    /// <see cref="TableStorageOptions.TableServiceUri"/> (needs <paramref name="credential"/>), otherwise the SDK with the
    /// connection string; wrapped to apply <see cref="TableStorageOptions.TableNamePrefix"/> when one is set.
    /// <paramref name="clientOptions"/> (default: new ones) gets the retry settings of <paramref name="options"/>.
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
            client = new AzureTableServiceClient(new TableServiceClient(endpoint,
                credential ?? throw new ArgumentException("TableServiceUri is set, so a TokenCredential is required.", nameof(credential)),
                ClientOptions(options, clientOptions)));
        }
        else if (string.Equals(options.ConnectionString?.Trim(), InMemoryConnectionString, StringComparison.OrdinalIgnoreCase))
        {
            client = new InMemoryTableServiceClient();
        }
        else
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
                throw new ArgumentException("No Table Storage connection string (setting TableStorage) and no TableStorage__tableServiceUri.", nameof(options));
            client = new AzureTableServiceClient(new TableServiceClient(options.ConnectionString, ClientOptions(options, clientOptions)));
        }
        return prefix.Length == 0 ? client : new PrefixedTableServiceClient(client, prefix);
    }

    private static TableClientOptions ClientOptions(TableStorageOptions options, TableClientOptions? clientOptions)
    {
        if (options.MaxRetries < 0) throw new ArgumentException("TableStorage MaxRetries cannot be negative.", nameof(options));
        var result = clientOptions ?? new TableClientOptions();
        result.Retry.MaxRetries = options.MaxRetries;
        result.Retry.Delay = options.RetryDelay;
        result.Retry.MaxDelay = options.MaxRetryDelay;
        result.Retry.Mode = options.RetryMode;
        result.Retry.NetworkTimeout = options.NetworkTimeout;
        return result;
    }

    private sealed class PrefixedTableServiceClient(ITableServiceClient inner, string prefix) : ITableServiceClient
    {
        public ITableClient GetTableClient(string tableName) => inner.GetTableClient(prefix + tableName);
    }
}
