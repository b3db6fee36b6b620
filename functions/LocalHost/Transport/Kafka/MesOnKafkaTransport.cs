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
        var mesBound = topology.Bindings.Where(b => b.Exchange == Destinations.MesTopic).Select(b => b.Queue).ToHashSet(StringComparer.Ordinal);
        var otherBound = topology.Bindings.Where(b => b.Exchange != Destinations.MesTopic && b.Exchange != Destinations.DeadLetterExchange)
            .Select(b => b.Queue).ToHashSet(StringComparer.Ordinal);
        lock (_kafkaOnly)
        {
            foreach (var queue in mesBound)
                if (otherBound.Contains(queue)) _alsoKafka.Add(queue);
                else _kafkaOnly.Add(queue);
        }
        // What stays on the queue transport: no mes-events exchange, no queue only MES events reach, nor its dead-letter queue.
        bool Kept(string queue) => !IsKafkaOnly(queue) && !(queue.EndsWith(".dead-letter", StringComparison.Ordinal) && IsKafkaOnly(queue[..^".dead-letter".Length]));
        var rest = new TopologyDefinition(
            topology.Exchanges.Where(e => e.Name != Destinations.MesTopic).ToArray(),
            topology.Queues.Where(q => Kept(q.Name)).ToArray(),
            topology.Bindings.Where(b => b.Exchange != Destinations.MesTopic && Kept(b.Queue)).ToArray());
        if (mesBound.Count > 0) await kafka.DeclareAsync(topology, cancellationToken).ConfigureAwait(false);
        await queues.DeclareAsync(rest, cancellationToken).ConfigureAwait(false);
    }

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

    public Task<uint> CountAsync(string queue, CancellationToken cancellationToken) =>
        IsKafkaOnly(queue) ? kafka.CountAsync(queue, cancellationToken) : queues.CountAsync(queue, cancellationToken);

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
