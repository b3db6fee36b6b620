using Confluent.Kafka;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;

namespace EventProcessors.Chaos.Tests;

/// <summary>
/// The run's MES topics on librdkafka's mock cluster, seen from outside the workers: producing the workload, reading a whole topic,
/// and each consumer group's committed offsets against the topic's end. The mock runs in this test process and listens on loopback,
/// so the worker processes connect to it like to any broker. It creates topics only through its own API (done here), keeps no more
/// than ~5 MiB per partition, and does not de-duplicate idempotent producer retries (a retried record may appear twice: the workload
/// tolerates that as one more duplicate); none of it matters to what is checked.
/// </summary>
public sealed class KafkaSide : IDisposable
{
    public const int Partitions = 6;

    private readonly KafkaMockCluster _cluster = KafkaMockCluster.StartMock(brokers: 1);
    private readonly IProducer<string, byte[]> _producer;
    private readonly Dictionary<string, IConsumer<byte[], byte[]>> _groups = [];

    public KafkaSide()
    {
        _cluster.CreateTopic(Destinations.MesTopic, Partitions);
        _cluster.CreateTopic(Destinations.MesDeadLetterTopic, Partitions);
        // A killed member's partitions move after 3 s instead of the default 45 s session timeout.
        _cluster.SetGroupConsumerTimeouts(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(300));
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = Bootstrap, Acks = Acks.All }).Build();
    }

    public string Bootstrap => _cluster.BootstrapServers;

    /// <summary>Every group that must have committed to the end: the MES actions' and the audit consumer's.</summary>
    public static IReadOnlyList<string> CommittingGroups { get; } = [.. MesWorkload.Groups, Consumers.AuditMesEvents.Queue];

    public async Task ProduceAsync(MesInput input)
    {
        await _producer.ProduceAsync(Destinations.MesTopic, new Message<string, byte[]>
        {
            Key = input.Key,
            Value = input.Value,
            Headers = new Headers { { "content-type", "application/json"u8.ToArray() } },
        });
    }

    /// <summary>Every record of <paramref name="topic"/>, partition by partition, up to the end it has now.</summary>
    public IReadOnlyList<ConsumeResult<byte[], byte[]>> Read(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            { BootstrapServers = Bootstrap, GroupId = "chaos-reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false }).Build();
        var records = new List<ConsumeResult<byte[], byte[]>>();
        for (var partition = 0; partition < Partitions; partition++)
        {
            var tp = new TopicPartition(topic, partition);
            var end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
            if (end == 0) continue;
            consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
            while (consumer.Consume(TimeSpan.FromSeconds(10)) is { } record)
            {
                if (record.IsPartitionEOF) break;
                records.Add(record);
                if (record.Offset.Value >= end - 1) break;
            }
            consumer.Unassign();
        }
        return records;
    }

    /// <summary>Records of mes-events each group has not committed past (0 for all: every record settled).</summary>
    public IReadOnlyDictionary<string, long> Uncommitted()
    {
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Destinations.MesTopic, p)).ToArray();
        var reader = Group(CommittingGroups[0]);
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => reader.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        var behind = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var group in CommittingGroups)
        {
            var committed = Group(group).Committed(partitions, TimeSpan.FromSeconds(10));
            behind[group] = committed.Sum(c => ends[c.Partition.Value] - Math.Max(0, c.Offset.Value));
        }
        return behind;
    }

    /// <summary>A consumer carrying the group's id only to read its committed offsets: it never subscribes, so it never joins.</summary>
    private IConsumer<byte[], byte[]> Group(string group)
    {
        if (!_groups.TryGetValue(group, out var consumer))
        {
            consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = group, EnableAutoCommit = false }).Build();
            _groups[group] = consumer;
        }
        return consumer;
    }

    public void Dispose()
    {
        foreach (var consumer in _groups.Values) consumer.Dispose();
        _producer.Dispose();
        _cluster.Dispose();
    }
}
