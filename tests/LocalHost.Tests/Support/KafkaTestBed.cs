using System.Text;
using Confluent.Kafka;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.InMemory;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>
/// One test's Kafka: topics of its own on the cluster (the mock, or <c>KAFKA_BOOTSTRAP_SERVERS</c>), workers that run MES actions
/// over them (Collector over an in-memory broker, as <c>serve --kafka</c> does), a producer as the MES services use, and readers of
/// what landed on the topics.
/// </summary>
public sealed class KafkaTestBed : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly IProducer<byte[]?, byte[]?> _producer;

    public KafkaTestBed(KafkaMockCluster cluster, int partitions = 4, ITableServiceClient? tables = null)
    {
        Cluster = cluster;
        var run = Guid.NewGuid().ToString("N")[..8];
        Options = new KafkaOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            Topic = "mes-events-" + run,
            DeadLetterTopic = "mes-events-" + run + ".dead-letter",
            CommitInterval = TimeSpan.FromMilliseconds(50),
            RedeliveryBaseDelay = TimeSpan.FromMilliseconds(50),
            RedeliveryMaxDelay = TimeSpan.FromSeconds(1),
            RevokeDrainTimeout = TimeSpan.FromSeconds(5),
            DeliveryTimeout = TimeSpan.FromSeconds(60),
        };
        cluster.CreateTopic(Options.Topic, partitions);
        cluster.CreateTopic(Options.DeadLetterTopic, 1);
        Tables = tables ?? TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = TableServiceClientFactory.InMemoryConnectionString });
        _producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
            { BootstrapServers = cluster.BootstrapServers, Acks = Acks.All, EnableIdempotence = true, LingerMs = 1 }).Build();
    }

    public KafkaMockCluster Cluster { get; }
    public KafkaOptions Options { get; }
    public ITableServiceClient Tables { get; }
    public ProcessingOptions Processing { get; } = new() { IdempotencyTableName = "Idem" + Guid.NewGuid().ToString("N")[..12], LeaseDuration = TimeSpan.FromMinutes(5) };

    /// <summary>A worker (its own Kafka clients, as a separate process would have) running <paramref name="actions"/>, started.</summary>
    public async Task<WorkerHarness> StartWorkerAsync(IEnumerable<IConsumerAction> actions, WorkerOptions? options = null, ProcessingOptions? processing = null,
        ITableServiceClient? tables = null)
    {
        var transport = new MesOnKafkaTransport(new KafkaTransport(Options), new InMemoryTransport());
        var worker = new WorkerHarness(transport, tables ?? Tables, actions, processing ?? Processing, options ?? WorkerHarness.FastOptions());
        _cleanup.Add(transport);
        _cleanup.Add(worker);
        await worker.StartAsync();
        return worker;
    }

    /// <summary>The real MES actions (all eight, or those named), built on this bed's tables as the worker's host builds them.</summary>
    public IReadOnlyList<IConsumerAction> MesActions(params string[] names)
    {
        var services = new ServiceCollection().AddLogging().AddSingleton(Tables);
        services.AddEventProcessing(new ConfigurationBuilder().Build());
        var provider = services.BuildServiceProvider();
        return provider.GetServices<IConsumerAction>()
            .Where(a => a.Definition.Bus == EventBus.Mes && (names.Length == 0 || names.Contains(a.Definition.Name)))
            .ToArray();
    }

    /// <summary>Produces a record to the MES topic as an MES service would; returns where it landed.</summary>
    public async Task<TopicPartitionOffset> ProduceAsync(string value, string? key, IReadOnlyDictionary<string, string>? headers = null, string? topic = null,
        int? partition = null)
    {
        var kafkaHeaders = new Headers();
        foreach (var (name, text) in headers ?? new Dictionary<string, string>()) kafkaHeaders.Add(name, Encoding.UTF8.GetBytes(text));
        var report = await _producer.ProduceAsync(new TopicPartition(topic ?? Options.Topic, partition is { } p ? new Partition(p) : Partition.Any), new Message<byte[]?, byte[]?>
        {
            Key = key is null ? null : Encoding.UTF8.GetBytes(key),
            Value = Encoding.UTF8.GetBytes(value),
            Headers = kafkaHeaders,
        });
        return report.TopicPartitionOffset;
    }

    /// <summary>Every record on <paramref name="topic"/> (default: the MES topic), read by offset without a consumer group.</summary>
    public IReadOnlyList<ConsumeResult<string?, string>> Read(string? topic = null) => Read(Cluster, topic ?? Options.Topic);

    /// <summary>Every record on <paramref name="topic"/>, read by offset without a consumer group.</summary>
    public static IReadOnlyList<ConsumeResult<string?, string>> Read(KafkaMockCluster cluster, string topic)
    {
        using var consumer = new ConsumerBuilder<string?, string>(new ConsumerConfig
            { BootstrapServers = cluster.BootstrapServers, GroupId = "reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var records = new List<ConsumeResult<string?, string>>();
        foreach (var partition in admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions)
        {
            var tp = new TopicPartition(topic, partition.PartitionId);
            var end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
            if (end == 0) continue;
            consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
            while (consumer.Consume(TimeSpan.FromSeconds(10)) is { } record)
            {
                records.Add(record);
                if (record.Offset.Value >= end - 1) break;
            }
            consumer.Unassign();
        }
        return records;
    }

    /// <summary>The CloudEvents on the MES topic of <paramref name="type"/> (follow-ons the worker produced).</summary>
    public IReadOnlyList<ConsumeResult<string?, string>> FollowOns(string type) =>
        Read().Where(r => r.Message.Value.Contains($"\"type\":\"{type}\"", StringComparison.Ordinal) && Header(r, "content-type") == Contracts.CloudEvent.JsonContentType).ToArray();

    public static string? Header(ConsumeResult<string?, string> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>Waits until every record the worker received has its verdict and nothing new happened for half a second.</summary>
    public async Task WaitUntilQuietAsync(WorkerHarness worker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var entries = worker.Timeline.Entries;
            var open = entries.Count(e => e.Kind == Timeline.TimelineKind.Received)
                - entries.Count(e => e.Kind is Timeline.TimelineKind.Completed or Timeline.TimelineKind.Duplicate or Timeline.TimelineKind.Ignored
                    or Timeline.TimelineKind.DeadLettered or Timeline.TimelineKind.Requeued or Timeline.TimelineKind.Failed);
            if (open <= 0 && entries.Count > 0 && DateTimeOffset.UtcNow - entries[^1].At > TimeSpan.FromMilliseconds(500)) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("The worker was still busy after 30 s.");
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string description)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout} waiting for {description}.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            try { await _cleanup[i].DisposeAsync(); }
            catch (Exception) { /* best effort */ }
        }
        _producer.Dispose();
    }
}
