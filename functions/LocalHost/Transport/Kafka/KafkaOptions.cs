using Confluent.Kafka;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Hosting;
using Microsoft.Extensions.Configuration;

namespace EventProcessors.LocalHost.Transport.Kafka;

/// <summary>
/// Settings of <see cref="KafkaTransport"/>. The connection and its security come from the settings the Function App's Kafka
/// bindings read too (<see cref="KafkaSettingNames"/>: <c>KafkaBrokers</c>, <c>KafkaProtocol</c>, <c>KafkaAuthenticationMode</c>,
/// <c>KafkaUsername</c>, <c>KafkaPassword</c>, <c>KafkaSslCaLocation</c>, <c>KafkaOAuthBearer*</c>); the worker's own tuning from section
/// <c>LocalHost:Kafka</c> (<c>LocalHost__Kafka__MaxInFlightPerPartition</c>, ...). Secrets belong in settings or the environment, never in the repository.
/// </summary>
public sealed class KafkaOptions
{
    public const string SectionName = "LocalHost:Kafka";

    /// <summary><c>host:port,...</c> (setting <c>KafkaBrokers</c>). Empty: MES events are not carried over Kafka.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Transport security (setting <c>KafkaProtocol</c>). Default plaintext, or SASL over SSL when an authentication mode is set.</summary>
    public SecurityProtocol? Protocol { get; set; }

    /// <summary>SASL mechanism (setting <c>KafkaAuthenticationMode</c>: Plain, ScramSha256, ScramSha512, OAuthBearer). Default none.</summary>
    public SaslMechanism? AuthenticationMode { get; set; }

    /// <summary>SASL user (setting <c>KafkaUsername</c>; Event Hubs: <c>$ConnectionString</c>, Confluent Cloud: the API key).</summary>
    public string? Username { get; set; }

    /// <summary>SASL password (setting <c>KafkaPassword</c>; Event Hubs: the namespace connection string, Confluent Cloud: the API secret).</summary>
    public string? Password { get; set; }

    /// <summary>CA certificate file to verify the brokers with (setting <c>KafkaSslCaLocation</c>). Default: the system's CA store.</summary>
    public string? SslCaLocation { get; set; }

    /// <summary>OAUTHBEARER with OIDC client credentials (settings <c>KafkaOAuthBearer*</c>): token endpoint URL. Without it, OAUTHBEARER uses librdkafka's unsecured test tokens.</summary>
    public string? OAuthBearerTokenEndpointUrl { get; set; }

    public string? OAuthBearerClientId { get; set; }

    public string? OAuthBearerClientSecret { get; set; }

    public string? OAuthBearerScope { get; set; }

    /// <summary>The topic MES events travel on. Default <c>mes-events</c>.</summary>
    public string Topic { get; set; } = Destinations.MesTopic;

    /// <summary>The topic MES dead letters are written to. Default <c>mes-events.dead-letter</c>.</summary>
    public string DeadLetterTopic { get; set; } = Destinations.MesDeadLetterTopic;

    /// <summary>
    /// Records of one partition an action's consumer has started past its committed offset (being processed, waiting for their key's
    /// turn, or settled behind an unsettled one). Records fetched beyond it wait in <see cref="MaxBufferedPerPartition"/>. Default 16.
    /// </summary>
    public int MaxInFlightPerPartition { get; set; } = 16;

    /// <summary>
    /// Records of one partition fetched and waiting for the window (<see cref="MaxInFlightPerPartition"/>). At the bound the partition
    /// is paused, not the consumer: other partitions go on; it resumes once half have started, since librdkafka takes up to a second
    /// to fetch a resumed partition again (pausing on every full window held a partition to a few windows a second). Default 512.
    /// </summary>
    public int MaxBufferedPerPartition { get; set; } = 512;

    /// <summary>
    /// Consumer group protocol: <c>Consumer</c> (KIP-848, Kafka 4.x, Confluent Cloud; default) or <c>Classic</c> (Event Hubs, older brokers;
    /// then with the cooperative-sticky assignor, so a rebalance revokes only the partitions that move).
    /// </summary>
    public GroupProtocol GroupProtocol { get; set; } = GroupProtocol.Consumer;

    /// <summary>Where a group without a committed offset starts. Default earliest: nothing already on the topic is skipped.</summary>
    public AutoOffsetReset AutoOffsetReset { get; set; } = AutoOffsetReset.Earliest;

    /// <summary>How long the producer keeps trying to deliver one record before reporting failure (<c>message.timeout.ms</c>). Default 2 min.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a revoked partition's records in progress may take to settle before they are abandoned, uncommitted. Default 10 s.</summary>
    public TimeSpan RevokeDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often settled offsets are committed (and always when partitions are revoked or the worker stops). Default 200 ms.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// First wait before a record whose handler gave it back (follow-ons or records could not be written after the pipeline's own
    /// retries) runs again in place; it doubles per redelivery up to <see cref="RedeliveryMaxDelay"/>. Default 500 ms.
    /// </summary>
    public TimeSpan RedeliveryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between in-place redeliveries of one record. Default 30 s.</summary>
    public TimeSpan RedeliveryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often each consumer reads its partitions' lag (high watermark minus the group's committed offset) for the
    /// <c>eventprocessors.consumer.lag</c> gauge, through the Admin API. Default 15 s; zero or less turns it off.
    /// </summary>
    public TimeSpan LagInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The client id brokers show. Default <c>event-processors-localhost</c>.</summary>
    public string ClientId { get; set; } = "event-processors-localhost";

    /// <summary>Any other librdkafka property, by its name (<c>LocalHost__Kafka__Properties__socket.keepalive.enable</c>).</summary>
    public Dictionary<string, string> Properties { get; set; } = new(StringComparer.Ordinal);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(BootstrapServers);

    /// <summary>What every client of this transport shares: brokers, security, client id, extra properties.</summary>
    public ClientConfig ClientConfig()
    {
        var config = new ClientConfig { BootstrapServers = BootstrapServers, ClientId = ClientId };
        if (AuthenticationMode is { } mechanism)
        {
            config.SecurityProtocol = Protocol ?? SecurityProtocol.SaslSsl;
            config.SaslMechanism = mechanism;
            config.SaslUsername = Username;
            config.SaslPassword = Password;
            if (mechanism == SaslMechanism.OAuthBearer && OAuthBearerTokenEndpointUrl is { Length: > 0 } endpoint)
            {
                config.SaslOauthbearerMethod = SaslOauthbearerMethod.Oidc;
                config.SaslOauthbearerTokenEndpointUrl = endpoint;
                config.SaslOauthbearerClientId = OAuthBearerClientId;
                config.SaslOauthbearerClientSecret = OAuthBearerClientSecret;
                config.SaslOauthbearerScope = OAuthBearerScope;
            }
        }
        else if (Protocol is { } protocol)
        {
            config.SecurityProtocol = protocol;
        }
        if (SslCaLocation is { Length: > 0 } ca) config.SslCaLocation = ca;
        foreach (var (name, value) in Properties) config.Set(name, value);
        return config;
    }

    /// <summary>The options of <paramref name="configuration"/>: section <c>LocalHost:Kafka</c>, then the shared <see cref="KafkaSettingNames"/>.</summary>
    public static KafkaOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(SectionName).Get<KafkaOptions>() ?? new KafkaOptions();
        string? Setting(string name) => configuration[name] is { Length: > 0 } value ? value.Trim() : null;
        options.BootstrapServers = Setting(SettingNames.KafkaBrokers) ?? options.BootstrapServers;
        if (Setting(KafkaSettingNames.Protocol) is { } protocol) options.Protocol = ParseEnum<SecurityProtocol>(protocol, KafkaSettingNames.Protocol);
        if (Setting(KafkaSettingNames.AuthenticationMode) is { } mode) options.AuthenticationMode = ParseEnum<SaslMechanism>(mode, KafkaSettingNames.AuthenticationMode);
        options.Username = Setting(KafkaSettingNames.Username) ?? options.Username;
        options.Password = Setting(KafkaSettingNames.Password) ?? options.Password;
        options.SslCaLocation = Setting(KafkaSettingNames.SslCaLocation) ?? options.SslCaLocation;
        options.OAuthBearerTokenEndpointUrl = Setting(KafkaSettingNames.OAuthBearerTokenEndpointUrl) ?? options.OAuthBearerTokenEndpointUrl;
        options.OAuthBearerClientId = Setting(KafkaSettingNames.OAuthBearerClientId) ?? options.OAuthBearerClientId;
        options.OAuthBearerClientSecret = Setting(KafkaSettingNames.OAuthBearerClientSecret) ?? options.OAuthBearerClientSecret;
        options.OAuthBearerScope = Setting(KafkaSettingNames.OAuthBearerScope) ?? options.OAuthBearerScope;
        if (options.MaxInFlightPerPartition < 1) throw new ArgumentException($"{SectionName}:MaxInFlightPerPartition must be at least 1.");
        if (options.MaxBufferedPerPartition < 2) throw new ArgumentException($"{SectionName}:MaxBufferedPerPartition must be at least 2.");
        return options;
    }

    /// <summary>Enum names as the Functions Kafka extension spells them (<c>SaslSsl</c>, <c>ScramSha512</c>) or as librdkafka does (<c>sasl_ssl</c>, <c>SCRAM-SHA-512</c>).</summary>
    private static T ParseEnum<T>(string text, string setting) where T : struct, Enum =>
        Enum.TryParse<T>(text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var value)
            && Enum.IsDefined(value)
            ? value
            : throw new ArgumentException($"{setting} '{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
}

/// <summary>The Kafka settings both hosts read (local.settings.sample.json), beside <see cref="SettingNames.KafkaBrokers"/>.</summary>
public static class KafkaSettingNames
{
    public const string Protocol = "KafkaProtocol";
    public const string AuthenticationMode = "KafkaAuthenticationMode";
    public const string Username = "KafkaUsername";
    public const string Password = "KafkaPassword";
    public const string SslCaLocation = "KafkaSslCaLocation";
    public const string OAuthBearerTokenEndpointUrl = "KafkaOAuthBearerTokenEndpointUrl";
    public const string OAuthBearerClientId = "KafkaOAuthBearerClientId";
    public const string OAuthBearerClientSecret = "KafkaOAuthBearerClientSecret";
    public const string OAuthBearerScope = "KafkaOAuthBearerScope";
}
