using System.Globalization;
using System.Text;
using System.Text.Json;
using EventProcessors.Processing.Actions;

namespace EventProcessors.LocalHost.Transport.Kafka;

/// <summary>One Kafka topic the platform needs, with the settings an operator creates it with.</summary>
/// <param name="Retention">How long records stay (<c>retention.ms</c>).</param>
/// <param name="CleanupPolicy"><c>delete</c>: an event stream, never compacted (every record is an event, not a latest value per key).</param>
public sealed record KafkaTopicDefinition(string Name, int Partitions, short ReplicationFactor, TimeSpan Retention, string CleanupPolicy = "delete")
{
    /// <summary>The topic configuration entries (<c>kafka-topics.sh --config</c>, the Admin API's configs).</summary>
    public IReadOnlyDictionary<string, string> Configs => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["cleanup.policy"] = CleanupPolicy,
        ["retention.ms"] = ((long)Retention.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        // acks=all with one replica out still succeeds; with two out, producers wait rather than lose the record.
        ["min.insync.replicas"] = Math.Max(1, ReplicationFactor - 1).ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// The Kafka topics of DESIGN section 4: <c>mes-events</c> (every MES and equipment event, keyed by entity id; 12 partitions, the
/// most consumers one action's group can spread over, 7 days) and <c>mes-events.dead-letter</c> (the poison records of every
/// consumer group with their reasons; 3 partitions, kept 30 days for <c>dead-letters list|replay</c>). Exported by <c>topology
/// export</c> as <c>infra/kafka/topics.json</c> and a <c>kafka-topics.sh</c> script.
/// </summary>
public static class KafkaTopics
{
    public static IReadOnlyList<KafkaTopicDefinition> For(KafkaOptions? options = null) =>
    [
        new(options?.Topic ?? Destinations.MesTopic, 12, 3, TimeSpan.FromDays(7)),
        new(options?.DeadLetterTopic ?? Destinations.MesDeadLetterTopic, 3, 3, TimeSpan.FromDays(30)),
    ];

    /// <summary>
    /// The topics as JSON: name, partitions, replication factor, configs, and the consumer groups that read each (one per MES action,
    /// named as <see cref="Consumers"/> names them; the dead-letter tool's replay cursors), so an operator can set ACLs per group.
    /// </summary>
    public static string ExportJson(IReadOnlyList<KafkaTopicDefinition> topics)
    {
        var groups = Consumers.All.Where(c => c.Bus == Processing.Pipeline.EventBus.Mes).Select(c => c.Queue).ToArray();
        var document = new
        {
            topics = topics.Select((t, i) => new
            {
                name = t.Name,
                partitions = t.Partitions,
                replicationFactor = t.ReplicationFactor,
                configs = t.Configs,
                consumerGroups = i == 0 ? groups : groups.Select(g => g + DeadLetters.KafkaDeadLetterTool.ReplayGroupSuffix).ToArray(),
            }),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>A script that creates the topics with Kafka's own <c>kafka-topics.sh</c> (idempotent: <c>--if-not-exists</c>).</summary>
    public static string ExportScript(IReadOnlyList<KafkaTopicDefinition> topics)
    {
        var script = new StringBuilder()
            .Append("#!/usr/bin/env sh\n")
            .Append("# The Kafka topics of the event processors (written by `topology export`; do not edit by hand).\n")
            .Append("# Usage: BOOTSTRAP=host:9092 [KAFKA_TOPICS=kafka-topics.sh] [COMMAND_CONFIG=client.properties] sh create-topics.sh\n")
            .Append("set -eu\n")
            .Append(": \"${BOOTSTRAP:?set BOOTSTRAP to the brokers, host:port}\"\n")
            .Append("KAFKA_TOPICS=\"${KAFKA_TOPICS:-kafka-topics.sh}\"\n")
            .Append("set -- --bootstrap-server \"$BOOTSTRAP\"\n")
            .Append("if [ -n \"${COMMAND_CONFIG:-}\" ]; then set -- \"$@\" --command-config \"$COMMAND_CONFIG\"; fi\n");
        foreach (var topic in topics)
        {
            script.Append(CultureInfo.InvariantCulture, $"\"$KAFKA_TOPICS\" \"$@\" --create --if-not-exists --topic {topic.Name} --partitions {topic.Partitions} --replication-factor {topic.ReplicationFactor}");
            foreach (var (name, value) in topic.Configs) script.Append(CultureInfo.InvariantCulture, $" \\\n  --config {name}={value}");
            script.Append('\n');
        }
        return script.ToString();
    }
}
