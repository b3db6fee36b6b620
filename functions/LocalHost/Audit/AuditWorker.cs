using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Audit;

/// <summary>
/// The event store's audit consumer in the self-hosted worker, over whichever transport the worker runs: queue
/// <c>audit.collector-events</c> bound with <c>#</c> to <c>collector-events</c>, <c>audit.mes-events</c> likewise to
/// <c>mes-events</c>, and <c>audit.dead-letters</c> bound to the dead-letter exchange with every dead-letter queue's key.
/// With MES on Kafka (<see cref="MesOnKafkaTransport"/>) <c>audit.mes-events</c> is a consumer group on the topic (partition and
/// offset kept) and consumer group <c>audit.mes-events.dead-letter</c> reads the MES dead letters from the dead-letter topic, as
/// the Function App's audit functions do. Each message is appended (<see cref="EventRecorder"/>) and then acknowledged; a storage failure requeues it after a
/// pause, so nothing acknowledged is missing from the store. Every <see cref="EventStoreOptions.SweepInterval"/> it sweeps
/// what each tenant's retention has expired.
/// </summary>
public sealed class AuditWorker(IMessageTransport transport, EventRecorder recorder, IEventStore store, IOptions<EventStoreOptions> options,
    TimeProvider time, ILogger<AuditWorker> logger) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan RequeuePause = TimeSpan.FromSeconds(1);
    private readonly List<ISubscription> _subscriptions = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _sweeping = Task.CompletedTask;

    /// <summary>The audit queues and their bindings, for every consumer's dead-letter queue.</summary>
    public static TopologyDefinition Topology(IEnumerable<ConsumerDefinition>? consumers = null)
    {
        var quorum = new Dictionary<string, object> { ["x-queue-type"] = "quorum" };
        var deadLetterKeys = (consumers ?? Consumers.All).Select(c => c.Queue).Append(Destinations.CollectorOutbox).Select(Destinations.DeadLetterQueue);
        return new TopologyDefinition(
            [new ExchangeDefinition(Destinations.CollectorExchange), new ExchangeDefinition(Destinations.MesTopic), new ExchangeDefinition(Destinations.DeadLetterExchange, "direct")],
            [new QueueDefinition(Consumers.AuditCollectorEvents.Queue, quorum), new QueueDefinition(Consumers.AuditMesEvents.Queue, quorum),
                new QueueDefinition(Destinations.AuditDeadLetters, quorum)],
            [
                new BindingDefinition(Destinations.CollectorExchange, Consumers.AuditCollectorEvents.Queue, "#"),
                new BindingDefinition(Destinations.MesTopic, Consumers.AuditMesEvents.Queue, "#"),
                .. deadLetterKeys.Select(key => new BindingDefinition(Destinations.DeadLetterExchange, Destinations.AuditDeadLetters, key)),
            ]);
    }

    /// <summary><paramref name="topology"/> with the audit queues added (what <c>topology export</c> writes for deployments).</summary>
    public static TopologyDefinition WithAudit(TopologyDefinition topology)
    {
        var audit = Topology();
        return new TopologyDefinition([.. topology.Exchanges.Concat(audit.Exchanges).DistinctBy(e => e.Name)],
            [.. topology.Queues.Concat(audit.Queues)], [.. topology.Bindings.Concat(audit.Bindings)]);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await transport.DeclareAsync(Topology(), cancellationToken).ConfigureAwait(false);
        foreach (var queue in new[] { Consumers.AuditCollectorEvents.Queue, Consumers.AuditMesEvents.Queue, Destinations.AuditDeadLetters })
            _subscriptions.Add(await transport.SubscribeAsync(queue, 16, HandleAsync, cancellationToken).ConfigureAwait(false));
        if (transport is MesOnKafkaTransport { Kafka: var kafka })
            _subscriptions.Add(await kafka.SubscribeAsync(kafka.Options.DeadLetterTopic, Destinations.AuditMesDeadLetters, 16, HandleAsync, cancellationToken).ConfigureAwait(false));
        _sweeping = SweepAsync(_stopping.Token);
        logger.LogInformation("Audit consumer appending every event of {Collector} and {Mes} and every dead letter to the event store",
            Destinations.CollectorExchange, Destinations.MesTopic);
    }

    private async Task SweepAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.Value.SweepInterval, time, stopping).ConfigureAwait(false);
                try
                {
                    var deleted = await store.SweepAsync(stopping).ConfigureAwait(false);
                    if (deleted > 0) logger.LogInformation("Event store swept {Deleted} events past their tenant's retention", deleted);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Event store sweep failed; the next one tries again.");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(Delivery delivery, CancellationToken stopping)
    {
        try
        {
            var bus = delivery.Exchange == Destinations.MesTopic || delivery.Queue == Consumers.AuditMesEvents.Queue ? TransportInfo.MesBus : TransportInfo.CollectorBus;
            // A Kafka record is found by topic, partition and offset; its key (the entity) stands where a routing key would.
            var where = delivery is KafkaDelivery record
                ? new TransportInfo(TransportInfo.MesBus, delivery.Exchange, delivery.Message.Key, record.Partition, record.Offset)
                : new TransportInfo(bus, delivery.Exchange, delivery.RoutingKey);
            if (delivery.Queue == Destinations.AuditMesDeadLetters)
            {
                await recorder.RecordDeadLetterAsync(delivery.Message, where, stopping).ConfigureAwait(false);
            }
            else if (delivery.Queue == Destinations.AuditDeadLetters)
            {
                var original = delivery.Message.HeadersOrEmpty.GetValueOrDefault("x-original-exchange");
                await recorder.RecordDeadLetterAsync(delivery.Message,
                    where with { Bus = original == Destinations.MesTopic ? TransportInfo.MesBus : TransportInfo.CollectorBus }, stopping).ConfigureAwait(false);
            }
            else
            {
                await recorder.RecordAsync(delivery.Message, where, stopping).ConfigureAwait(false);
            }
            await delivery.AckAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (!stopping.IsCancellationRequested)
                logger.LogWarning(ex, "Event store could not append {MessageId} from {Queue}; it goes back to the queue.", delivery.Message.MessageId, delivery.Queue);
            try
            {
                await Task.Delay(RequeuePause, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            try
            {
                await delivery.RequeueAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception requeue)
            {
                logger.LogDebug(requeue, "Requeue failed; the broker redelivers the unsettled message.");
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stopping.IsCancellationRequested) await _stopping.CancelAsync().ConfigureAwait(false);
        await _sweeping.ConfigureAwait(false);
        ISubscription[] subscriptions;
        lock (_subscriptions)
        {
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }
        await Task.WhenAll(subscriptions.Select(s => s.StopAsync(TimeSpan.FromSeconds(10)))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
