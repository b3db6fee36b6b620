using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.Transport.Kafka;

/// <summary>
/// The production topology in one worker: the MES bus on Kafka, everything else (Collector, the outbox, their dead letters) on the
/// queue transport (RabbitMQ or in-memory). MES action queues are consumer groups on <c>mes-events</c>, publishing to the
/// <c>mes-events</c> exchange produces to the topic, and a queue bound to <c>mes-events</c> (a tap) also gets a consumer group of its
/// own. The queue transport no longer declares the <c>mes-events</c> exchange or any MES queue, so no MES event travels over it.
/// </summary>
public sealed class MesOnKafkaTransport(KafkaTransport kafka, IMessageTransport queues) : IMessageTransport
{
    private static readonly HashSet<string> MesQueues = Consumers.All.Where(c => c.Bus == EventBus.Mes).Select(c => c.Queue).ToHashSet(StringComparer.Ordinal);
    private readonly HashSet<string> _kafkaOnly = new(MesQueues, StringComparer.Ordinal);
    private readonly HashSet<string> _alsoKafka = new(StringComparer.Ordinal);

    public string Name => $"{kafka.Name}+{queues.Name}";

    public KafkaTransport Kafka => kafka;

    public IMessageTransport Queues => queues;

    public async Task DeclareAsync(TopologyDefinition topology, CancellationToken cancellationToken)
    {
        var (kafkaOnly, alsoKafka) = Split(topology);
        lock (_kafkaOnly)
        {
            _kafkaOnly.UnionWith(kafkaOnly);
            _alsoKafka.UnionWith(alsoKafka);
        }
        await kafka.DeclareAsync(topology, cancellationToken).ConfigureAwait(false);
        await queues.DeclareAsync(QueueSide(topology), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What of <paramref name="topology"/> stays on the queue transport when MES is on Kafka: no <c>mes-events</c> exchange, no queue
    /// only MES events reach (nor its dead-letter queue), no binding from <c>mes-events</c>.
    /// </summary>
    public static TopologyDefinition QueueSide(TopologyDefinition topology)
    {
        var kafkaOnly = Split(topology).KafkaOnly;
        bool Kept(string queue) => !kafkaOnly.Contains(queue)
            && !(queue.EndsWith(DeadLetterSuffix, StringComparison.Ordinal) && kafkaOnly.Contains(queue[..^DeadLetterSuffix.Length]));
        return new TopologyDefinition(
            topology.Exchanges.Where(e => e.Name != Destinations.MesTopic).ToArray(),
            topology.Queues.Where(q => Kept(q.Name)).ToArray(),
            topology.Bindings.Where(b => b.Exchange != Destinations.MesTopic && Kept(b.Queue)).ToArray());
    }

    /// <summary>Queues only <c>mes-events</c> feeds (every MES action's among them), and queues it feeds beside other exchanges (taps).</summary>
    private static (HashSet<string> KafkaOnly, HashSet<string> AlsoKafka) Split(TopologyDefinition topology)
    {
        var mesBound = topology.Bindings.Where(b => b.Exchange == Destinations.MesTopic).Select(b => b.Queue).ToHashSet(StringComparer.Ordinal);
        var otherBound = topology.Bindings.Where(b => b.Exchange != Destinations.MesTopic && b.Exchange != Destinations.DeadLetterExchange)
            .Select(b => b.Queue).ToHashSet(StringComparer.Ordinal);
        var kafkaOnly = new HashSet<string>(MesQueues, StringComparer.Ordinal);
        kafkaOnly.UnionWith(mesBound.Where(q => !otherBound.Contains(q)));
        return (kafkaOnly, mesBound.Where(otherBound.Contains).ToHashSet(StringComparer.Ordinal));
    }

    private const string DeadLetterSuffix = ".dead-letter";

    public async Task<ISubscription> SubscribeAsync(string queue, int prefetch, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        if (IsKafkaOnly(queue)) return await kafka.SubscribeAsync(queue, prefetch, handler, cancellationToken).ConfigureAwait(false);
        bool both;
        lock (_kafkaOnly) both = _alsoKafka.Contains(queue);
        if (!both) return await queues.SubscribeAsync(queue, prefetch, handler, cancellationToken).ConfigureAwait(false);
        var first = await queues.SubscribeAsync(queue, prefetch, handler, cancellationToken).ConfigureAwait(false);
        return new BothSubscriptions(first, await kafka.SubscribeAsync(queue, prefetch, handler, cancellationToken).ConfigureAwait(false));
    }

    public Task PublishAsync(string exchange, string routingKey, OutboundMessage message, CancellationToken cancellationToken) =>
        exchange == Destinations.MesTopic
            ? kafka.PublishAsync(exchange, routingKey, message, cancellationToken)
            : queues.PublishAsync(exchange, routingKey, message, cancellationToken);

    public Task<DeliveryBatch> GetAsync(string queue, int max, CancellationToken cancellationToken) =>
        IsKafkaOnly(queue) ? kafka.GetAsync(queue, max, cancellationToken) : queues.GetAsync(queue, max, cancellationToken);

    /// <summary>
    /// A Kafka-only queue answers its consumer group's lag. The dead-letter queue of one has no counterpart: MES dead letters of every
    /// action go to the one dead-letter topic, so it is <see cref="NotSupportedException"/>, not a queue that went missing.
    /// </summary>
    public Task<uint> CountAsync(string queue, CancellationToken cancellationToken)
    {
        if (IsKafkaOnly(queue)) return kafka.CountAsync(queue, cancellationToken);
        if (queue.EndsWith(DeadLetterSuffix, StringComparison.Ordinal) && IsKafkaOnly(queue[..^DeadLetterSuffix.Length]))
            throw new NotSupportedException($"{queue}: MES dead letters on Kafka go to the topic {kafka.Options.DeadLetterTopic}, not a queue per action.");
        return queues.CountAsync(queue, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await kafka.DisposeAsync().ConfigureAwait(false);
        await queues.DisposeAsync().ConfigureAwait(false);
    }

    private bool IsKafkaOnly(string queue)
    {
        lock (_kafkaOnly) return _kafkaOnly.Contains(queue);
    }

    private sealed class BothSubscriptions(ISubscription queue, ISubscription kafka) : ISubscription
    {
        public string Queue => queue.Queue;

        public Task StopAsync(TimeSpan drainTimeout) => Task.WhenAll(queue.StopAsync(drainTimeout), kafka.StopAsync(drainTimeout));

        public async ValueTask DisposeAsync()
        {
            await queue.DisposeAsync().ConfigureAwait(false);
            await kafka.DisposeAsync().ConfigureAwait(false);
        }
    }
}
