using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Hosting;

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

    /// <summary>Queue every Collector follow-on event goes to; RouteOutbox republishes it to the exchange.</summary>
    public const string Outbox = Destinations.CollectorOutbox;

    public const string MesTopic = Destinations.MesTopic;

    public const string MesDeadLetterTopic = Destinations.MesDeadLetterTopic;

    /// <summary>Function-level retry of the Kafka functions: 5 retries after the first attempt, 10 s apart.</summary>
    public const int KafkaMaxRetries = 5;

    public const string KafkaRetryDelay = "00:00:10";
}
