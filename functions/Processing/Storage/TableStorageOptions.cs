namespace EventProcessors.Processing.Storage;

/// <summary>Which Table Storage account the stores use; read by <see cref="TableServiceClientFactory"/>.</summary>
public sealed class TableStorageOptions
{
    /// <summary>
    /// A storage connection string (see <see cref="StorageConnectionString"/>), or <c>inmemory</c> for an in-process
    /// account. Default <c>UseDevelopmentStorage=true</c> (Azurite on 127.0.0.1:10002), as in local settings.
    /// Ignored when <see cref="TableServiceUri"/> is set.
    /// </summary>
    public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>
    /// The Table endpoint for Entra ID access (e.g. <c>https://account.table.core.windows.net</c>); when set, the
    /// factory authenticates with the <c>TokenCredential</c> it is given. Default null (use the connection string).
    /// </summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>
    /// Prepended to every table name, so that environments or test runs can share one account without touching
    /// each other's tables. Letters and digits only, starting with a letter. Default empty (no prefix).
    /// </summary>
    public string TableNamePrefix { get; set; } = "";
}
