namespace EventProcessors.Processing.Storage;

/// <summary>
/// The Table endpoint and shared key of a storage connection string. Accepts
/// <c>UseDevelopmentStorage=true</c> (Azurite: <c>http://127.0.0.1:10002/devstoreaccount1</c>),
/// <c>DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;EndpointSuffix=…</c>
/// (<c>https://{account}.table.{suffix}</c>) and an explicit <c>TableEndpoint=…</c>.
/// </summary>
public sealed class StorageConnectionString
{
    /// <summary>The emulator's well-known account; Azurite and the legacy emulator accept it.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>The emulator's well-known, public key.</summary>
    public const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const string DefaultEndpointSuffix = "core.windows.net";

    private StorageConnectionString(string accountName, string accountKey, Uri tableEndpoint)
    {
        AccountName = accountName;
        AccountKey = accountKey;
        TableEndpoint = tableEndpoint;
    }

    public string AccountName { get; }

    /// <summary>The Base64 account key used for Shared Key Lite signing.</summary>
    public string AccountKey { get; }

    /// <summary>The Table service endpoint; for path-style endpoints (Azurite) it includes the account in its path.</summary>
    public Uri TableEndpoint { get; }

    /// <summary>Parses <paramref name="connectionString"/>; throws <see cref="ArgumentException"/> naming what is missing or malformed.</summary>
    public static StorageConnectionString Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var settings = Split(connectionString);

        if (settings.TryGetValue("UseDevelopmentStorage", out var development))
        {
            if (!development.Equals("true", StringComparison.OrdinalIgnoreCase))
                throw Malformed($"UseDevelopmentStorage must be 'true', not '{development}'.");
            return new(DevelopmentAccountName, DevelopmentAccountKey, new Uri("http://127.0.0.1:10002/" + DevelopmentAccountName));
        }

        if (settings.ContainsKey("SharedAccessSignature"))
            throw Malformed("SharedAccessSignature connection strings are not supported; use an AccountKey, or an endpoint with a TokenCredential.");
        var accountName = Required(settings, "AccountName");
        var accountKey = Required(settings, "AccountKey");
        if (!IsBase64(accountKey)) throw Malformed("AccountKey is not valid Base64.");

        return new(accountName, accountKey, TableEndpointOf(settings, accountName));
    }

    private static Uri TableEndpointOf(Dictionary<string, string> settings, string accountName)
    {
        if (settings.TryGetValue("TableEndpoint", out var explicitEndpoint))
        {
            return Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out var endpoint) && IsHttp(endpoint.Scheme)
                ? endpoint
                : throw Malformed($"TableEndpoint '{explicitEndpoint}' is not an absolute http or https URI.");
        }
        var protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        if (!IsHttp(protocol)) throw Malformed($"DefaultEndpointsProtocol must be 'http' or 'https', not '{protocol}'.");
        var suffix = settings.GetValueOrDefault("EndpointSuffix", DefaultEndpointSuffix);
        return Uri.TryCreate($"{protocol.ToLowerInvariant()}://{accountName}.table.{suffix}", UriKind.Absolute, out var built)
            && built.HostNameType == UriHostNameType.Dns
            ? built
            : throw Malformed($"AccountName '{accountName}' and EndpointSuffix '{suffix}' do not form a valid host name.");
    }

    private static Dictionary<string, string> Split(string connectionString)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Split at the first '=' only: Base64 keys end in '='.
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw Malformed($"'{Redact(part)}' is not a Key=Value pair.");
            var key = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            if (value.Length == 0) throw Malformed($"{key} has no value.");
            if (!settings.TryAdd(key, value)) throw Malformed($"{key} appears more than once.");
        }
        return settings;
    }

    private static string Required(Dictionary<string, string> settings, string key) =>
        settings.TryGetValue(key, out var value)
            ? value
            : throw Malformed($"{key} is missing (or use UseDevelopmentStorage=true for Azurite).");

    private static bool IsHttp(string scheme) =>
        scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || scheme.Equals("https", StringComparison.OrdinalIgnoreCase);

    private static bool IsBase64(string value) =>
        Convert.TryFromBase64String(value, new byte[value.Length], out var written) && written > 0;

    // A malformed pair may be a secret that lost its '='; show only its start.
    private static string Redact(string part) => part.Length <= 12 ? part : part[..12] + "…";

    private static ArgumentException Malformed(string problem) =>
        new($"Invalid storage connection string: {problem}", "connectionString");
}
