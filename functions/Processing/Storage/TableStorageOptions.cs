using Azure.Core;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// Which Table Storage account the stores use and how the SDK retries; read by <see cref="TableServiceClientFactory"/>.
/// Bound from the <c>TableStorage</c> setting (the connection string) and its children (<c>TableStorage__tableServiceUri</c>,
/// <c>TableStorage__maxRetries</c>, ...).
/// </summary>
public sealed class TableStorageOptions
{
    /// <summary>
    /// A storage connection string as the SDK reads it (<c>UseDevelopmentStorage=true</c>, account name and key with an
    /// optional <c>EndpointSuffix</c> or explicit <c>TableEndpoint</c>, or a SAS), or <c>inmemory</c> for an in-process
    /// account. Default <c>UseDevelopmentStorage=true</c> (Azurite on 127.0.0.1:10002), as in local settings.
    /// Ignored when <see cref="TableServiceUri"/> is set.
    /// </summary>
    public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>
    /// The Table endpoint for Entra ID access (e.g. <c>https://account.table.core.windows.net</c>); when set, the
    /// factory authenticates with the <c>TokenCredential</c> it is given (DefaultAzureCredential, so the Function App's
    /// managed identity). Default null (use the connection string).
    /// </summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>
    /// Prepended to every table name, so that environments or test runs can share one account without touching
    /// each other's tables. Letters and digits only, starting with a letter. Default empty (no prefix).
    /// </summary>
    public string TableNamePrefix { get; set; } = "";

    /// <summary>
    /// Retries of one request after a transient failure (408, 429, 500, 502, 503, 504, or no answer). Default 3.
    /// Past these the call fails, and the pipeline treats the event as transient (the transport redelivers it).
    /// </summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay, doubled for each further one in <see cref="RetryMode.Exponential"/> mode, with jitter. Default 0.8 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(0.8);

    /// <summary>The longest delay between retries. Default 10 s: an event waits, a worker does not hang.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Exponential (default) or fixed delays between retries.</summary>
    public RetryMode RetryMode { get; set; } = RetryMode.Exponential;

    /// <summary>How long one attempt may take before it is abandoned and retried. Default 30 s.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
