using Azure.Core;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// Options for <see cref="TableServiceClient"/>. Retry, transport, diagnostics and the network timeout come
/// from <see cref="ClientOptions"/> (defaults: 3 retries, exponential back-off from 0.8 s up to 1 min,
/// 100 s network timeout; retried on 408, 429, 500, 502, 503, 504 and transport failures).
/// </summary>
public class TableClientOptions : ClientOptions
{
    /// <summary>The REST API versions this client speaks.</summary>
    public enum ServiceVersion
    {
        /// <summary>2019-02-02: supported by Azure and by every Azurite release.</summary>
        V2019_02_02 = 1,
    }

    private const ServiceVersion LatestVersion = ServiceVersion.V2019_02_02;

    /// <param name="version">The <c>x-ms-version</c> to send; default <see cref="ServiceVersion.V2019_02_02"/>.</param>
    public TableClientOptions(ServiceVersion version = LatestVersion)
    {
        Version = version switch
        {
            ServiceVersion.V2019_02_02 => "2019-02-02",
            _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Unknown Table service version."),
        };
    }

    /// <summary>The <c>x-ms-version</c> header value.</summary>
    internal string Version { get; }
}
