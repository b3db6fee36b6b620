using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Hosting;

/// <summary>
/// Binding constants every function shares (attribute arguments must be constants). Queue and consumer
/// group names are written in each function's trigger; a test holds them equal to flows.md and
/// <see cref="Consumers"/>.
/// </summary>
internal static class Bindings
{
    /// <summary>App setting with the AMQP URI (RabbitMQ trigger and output <c>ConnectionStringSetting</c>).</summary>
    public const string RabbitMQ = SettingNames.RabbitMQConnection;

    /// <summary>App setting with the Kafka bootstrap servers (trigger and output <c>BrokerList</c>).</summary>
    public const string Kafka = SettingNames.KafkaBrokers;

    /// <summary>App setting with the SQL connection string of every <c>[SqlOutput]</c>.</summary>
    public const string Sql = SettingNames.SqlConnectionString;

    public const string MesTopic = Destinations.MesTopic;

    public const string MesDeadLetterTopic = Destinations.MesDeadLetterTopic;

    /// <summary>
    /// Security of every Kafka trigger and output. The real extension takes <c>Protocol</c> and <c>AuthenticationMode</c>
    /// as enums, compiled into functions.metadata, so they cannot come from app settings: SASL_SSL with PLAIN by default
    /// (Event Hubs' Kafka endpoint, Confluent Cloud); build with <c>-p:KafkaSecurity=None</c> for a plaintext broker
    /// (local Kafka, Redpanda). The secrets are app settings the extension resolves by name (README "Function App").
    /// </summary>
#if KAFKA_PLAINTEXT
    public const BrokerProtocol KafkaProtocol = BrokerProtocol.NotSet;

    public const BrokerAuthenticationMode KafkaAuthenticationMode = BrokerAuthenticationMode.NotSet;
#else
    public const BrokerProtocol KafkaProtocol = BrokerProtocol.SaslSsl;

    public const BrokerAuthenticationMode KafkaAuthenticationMode = BrokerAuthenticationMode.Plain;
#endif

    /// <summary>App setting with the SASL user name (Event Hubs: <c>$ConnectionString</c>; Confluent Cloud: the API key).</summary>
    public const string KafkaUsername = "KafkaUsername";

    /// <summary>App setting with the SASL password (Event Hubs: the namespace connection string; Confluent Cloud: the API secret).</summary>
    public const string KafkaPassword = "KafkaPassword";

    /// <summary>App setting with the path of the CA bundle that verifies the brokers (the extension requires an existing file once SASL/SSL is on).</summary>
    public const string KafkaSslCaLocation = "KafkaSslCaLocation";

    /// <summary>
    /// Function-level retry of the Kafka functions: 8 retries after the first attempt, 2 s doubling to at most 1 minute
    /// (about 4 minutes, within the consumer's 5-minute max.poll.interval). The final attempt dead-letters instead of throwing.
    /// </summary>
    public const int KafkaMaxRetries = 8;

    public const string KafkaMinimumInterval = "00:00:02";

    public const string KafkaMaximumInterval = "00:01:00";
}
