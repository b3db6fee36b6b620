using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using EventProcessors.Processing.Actions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventProcessors.LocalHost.Transport.Kafka;

/// <summary>
/// Kafka over Confluent.Kafka. Consuming (<see cref="SubscribeAsync"/>) is one consumer per action, in the action's consumer group,
/// on <see cref="KafkaOptions.Topic"/>; see <see cref="KafkaSubscription"/> for order, concurrency and commits. Producing is one
/// thread-safe idempotent producer with <c>acks=all</c>: <see cref="PublishAsync"/> returns only once the broker acknowledged the
/// record (its delivery report), keyed by <see cref="OutboundMessage.Key"/>, the message's headers and content type as record headers.
/// <para>
/// Of <see cref="IMessageTransport"/> the queue-shaped take (<see cref="GetAsync"/>) does not fit: a topic hands records out by
/// offset and never takes one off, so there is nothing to take and acknowledge. The dead-letter tools read
/// <c>mes-events.dead-letter</c> by offset instead (<see cref="DeadLetters.KafkaDeadLetterTool"/>). <see cref="CountAsync"/>
/// answers what waits for a consumer group: its lag.
/// </para>
/// </summary>
public sealed class KafkaTransport : IMessageTransport
{
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly ILogger _logger;
    private readonly List<KafkaSubscription> _subscriptions = [];
    private Lazy<IAdminClient> _admin;
    private readonly ConcurrentDictionary<string, (Task<TopicPartition[]> Lookup, long At)> _partitions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<uint>> _counting = new(StringComparer.Ordinal);

    public KafkaTransport(KafkaOptions options, ILogger? logger = null)
    {
        if (!options.IsConfigured) throw new ArgumentException("Kafka needs bootstrap servers (setting KafkaBrokers, or --kafka host:9092).");
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        _producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig(options.ClientConfig())
            {
                Acks = Acks.All,
                EnableIdempotence = true,
                MessageTimeoutMs = (int)options.DeliveryTimeout.TotalMilliseconds,
                LingerMs = 2,
            })
            .SetLogHandler((_, log) => Log(_logger, log))
            .SetErrorHandler((_, error) => _logger.LogWarning("Kafka producer: {Reason} ({Code})", error.Reason, error.Code))
            .Build();
        _admin = NewAdmin();
    }

    // Its own client, not the producer's: asking a producer's handle for a topic's metadata creates the topic.
    private Lazy<IAdminClient> NewAdmin() => new(() => new AdminClientBuilder(new AdminClientConfig(Options.ClientConfig()) { AllowAutoCreateTopics = false })
        .SetLogHandler((_, log) => Log(_logger, log)).Build());

    public string Name => "kafka";

    public KafkaOptions Options { get; }

    /// <summary>
    /// Makes sure the platform's topics exist (<see cref="KafkaTopics"/>): those missing are created through the Admin API with their
    /// partitions, retention and cleanup policy. Queues, exchanges and bindings mean nothing on Kafka and are left to the queue transport.
    /// </summary>
    public async Task DeclareAsync(TopologyDefinition topology, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig(Options.ClientConfig())).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));
        var existing = metadata.Topics.Where(t => t.Error.Code == ErrorCode.NoError).Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
        var missing = KafkaTopics.For(Options).Where(t => !existing.Contains(t.Name)).ToArray();
        if (missing.Length == 0) return;
        var brokers = (short)Math.Max(1, metadata.Brokers.Count);
        try
        {
            await admin.CreateTopicsAsync(missing.Select(t => new TopicSpecification
            {
                Name = t.Name,
                NumPartitions = t.Partitions,
                // A development broker of one node cannot hold three replicas; production clusters have at least three.
                ReplicationFactor = Math.Min(t.ReplicationFactor, brokers),
                Configs = t.Configs.Where(c => c.Key != "min.insync.replicas" || brokers >= t.ReplicationFactor).ToDictionary(c => c.Key, c => c.Value),
            })).ConfigureAwait(false);
            _logger.LogInformation("Created Kafka topics {Topics}.", string.Join(", ", missing.Select(t => t.Name)));
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Another worker created them first.
        }
    }

    public Task<ISubscription> SubscribeAsync(string queue, int prefetch, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken) =>
        SubscribeAsync(Options.Topic, queue, prefetch, handler, cancellationToken);

    /// <summary>Consumer group <paramref name="group"/> on another topic than the MES one (the audit of <see cref="KafkaOptions.DeadLetterTopic"/>).</summary>
    public Task<ISubscription> SubscribeAsync(string topic, string group, int prefetch, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        var subscription = new KafkaSubscription(this, topic, group, prefetch, handler, _logger);
        lock (_subscriptions) _subscriptions.Add(subscription);
        subscription.Start();
        return Task.FromResult<ISubscription>(subscription);
    }

    /// <summary>
    /// Produces to the topic <paramref name="exchange"/> names: <c>mes-events</c> is <see cref="KafkaOptions.Topic"/>, any other name a topic
    /// of that name. The routing key (the event type) has no counterpart: a record carries its type in its value.
    /// </summary>
    public Task PublishAsync(string exchange, string routingKey, OutboundMessage message, CancellationToken cancellationToken)
    {
        if (exchange.Length == 0) throw new ArgumentException("A Kafka record goes to a topic; the default exchange has no counterpart.", nameof(exchange));
        var topic = exchange == Destinations.MesTopic ? Options.Topic : exchange;
        var headers = new Headers();
        if (message.ContentType is { } contentType) headers.Add(ContentTypeHeader, Encoding.UTF8.GetBytes(contentType));
        foreach (var (name, value) in message.Headers ?? new Dictionary<string, object?>())
            if (value is not null && !name.Equals(ContentTypeHeader, StringComparison.OrdinalIgnoreCase))
                headers.Add(name, Encoding.UTF8.GetBytes(HeaderText.ToText(value)));
        var record = new Message<byte[]?, byte[]?>
        {
            Key = message.Key is null ? null : Encoding.UTF8.GetBytes(message.Key),
            Value = message.Body.ToArray(),
            Headers = headers,
            Timestamp = message.Timestamp is { } time ? new Timestamp(time) : Timestamp.Default,
        };
        return ProduceAsync(topic, record, cancellationToken);
    }

    /// <summary>Produces one record and returns once the broker acknowledged it (all in-sync replicas); throws if it could not be delivered.</summary>
    internal async Task ProduceAsync(string topic, Message<byte[]?, byte[]?> record, CancellationToken cancellationToken)
    {
        var report = await _producer.ProduceAsync(topic, record, cancellationToken).ConfigureAwait(false);
        if (report.Status != PersistenceStatus.Persisted)
            throw new KafkaException(new Error(ErrorCode.Local_Fail, $"record to {topic} not persisted ({report.Status})"));
    }

    public Task<DeliveryBatch> GetAsync(string queue, int max, CancellationToken cancellationToken) => throw NotAQueue();

    /// <summary>
    /// The records consumer group <paramref name="queue"/> has not committed past on the topic it reads (<see cref="KafkaOptions.Topic"/>
    /// unless it was subscribed to another), summed over the partitions: its lag, what a queue's ready count is to RabbitMQ, except
    /// that records in progress count too. Only a reachable cluster answers; a topic that does not exist is
    /// <see cref="QueueNotFoundException"/>.
    /// </summary>
    public Task<uint> CountAsync(string queue, CancellationToken cancellationToken)
    {
        // One question per group in flight: while the cluster is away, probes that gave up must not pile requests up behind it.
        while (true)
        {
            if (_counting.TryGetValue(queue, out var running)) return running.WaitAsync(cancellationToken);
            var answer = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_counting.TryAdd(queue, answer.Task)) continue;
            _ = AnswerAsync(queue, answer);
            return answer.Task.WaitAsync(cancellationToken);
        }
    }

    private async Task AnswerAsync(string group, TaskCompletionSource<uint> answer)
    {
        var admin = Volatile.Read(ref _admin);
        try
        {
            string topic;
            lock (_subscriptions) topic = _subscriptions.LastOrDefault(s => s.Queue == group)?.Topic ?? Options.Topic;
            var partitions = await PartitionsOf(topic).ConfigureAwait(false);
            if (partitions.Length == 0) throw new QueueNotFoundException(group);
            var lag = await ConsumerLag.QueryAsync(admin.Value, group, partitions, Options.AutoOffsetReset, AdminTimeout).ConfigureAwait(false);
            _counting.TryRemove(KeyValuePair.Create(group, answer.Task));
            answer.SetResult((uint)Math.Min(uint.MaxValue, lag.Values.Sum()));
        }
        catch (Exception e)
        {
            if (e is KafkaException) Replace(admin);
            _counting.TryRemove(KeyValuePair.Create(group, answer.Task));
            answer.SetException(e);
        }
    }

    /// <summary>
    /// The topic's partitions (none if it does not exist), looked up once a minute: librdkafka's metadata call blocks a thread for up
    /// to <see cref="AdminTimeout"/> while the cluster is away, so probes share one lookup instead of each holding a thread.
    /// </summary>
    private Task<TopicPartition[]> PartitionsOf(string topic)
    {
        var now = Stopwatch.GetTimestamp();
        return _partitions.AddOrUpdate(topic, _ => (LookUp(), now), (_, known) =>
            known.Lookup.IsFaulted || known.Lookup.IsCanceled
            || (known.Lookup.IsCompletedSuccessfully && (known.Lookup.Result.Length == 0 || Stopwatch.GetElapsedTime(known.At) > PartitionsRefresh))
                ? (LookUp(), now)
                : known).Lookup;

        Task<TopicPartition[]> LookUp() => Task.Run(() =>
        {
            var described = Volatile.Read(ref _admin).Value.GetMetadata(topic, AdminTimeout).Topics.SingleOrDefault(t => t.Topic == topic);
            if (described is null || described.Error.Code == ErrorCode.UnknownTopicOrPart) return [];
            if (described.Error.Code != ErrorCode.NoError) throw new KafkaException(described.Error);
            return described.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToArray();
        });
    }

    /// <summary>
    /// A client whose request went unanswered is replaced: after the cluster was away, its connection can stay stuck where a new
    /// client's answers at once. The old one is disposed once its other requests had their time.
    /// </summary>
    private void Replace(Lazy<IAdminClient> failed)
    {
        if (Interlocked.CompareExchange(ref _admin, NewAdmin(), failed) != failed || !failed.IsValueCreated) return;
        _ = Task.Delay(AdminTimeout * 2).ContinueWith(_ => failed.Value.Dispose(), TaskScheduler.Default);
    }

    private static readonly TimeSpan PartitionsRefresh = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan AdminTimeout = ConsumerLag.RequestTimeout;

    /// <summary>Drops every consumer as a killed process would (see <see cref="KafkaSubscription.AbortAsync"/>): nothing more is committed.</summary>
    public async Task AbortAsync()
    {
        KafkaSubscription[] subscriptions;
        lock (_subscriptions) subscriptions = _subscriptions.ToArray();
        await Task.WhenAll(subscriptions.Select(s => s.AbortAsync())).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        KafkaSubscription[] subscriptions;
        lock (_subscriptions) subscriptions = _subscriptions.ToArray();
        foreach (var subscription in subscriptions) await subscription.DisposeAsync().ConfigureAwait(false);
        var admin = Volatile.Read(ref _admin);
        if (admin.IsValueCreated) admin.Value.Dispose();
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    internal const string ContentTypeHeader = "content-type";

    internal static void Log(ILogger logger, LogMessage log)
    {
        var level = log.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        logger.Log(level, "librdkafka {Facility} ({Client}): {Message}", log.Facility, log.Name, log.Message);
    }

    private static NotSupportedException NotAQueue() => new(
        "A Kafka topic is not a queue: records are read by offset and never taken off. Dead letters of MES actions are read with dead-letters list|replay --kafka.");
}
