namespace EventProcessors.LocalHost.Transport.InMemory;

/// <summary>
/// One "connection" to an <see cref="InMemoryBroker"/>: the embedded default transport. Publishing is confirmed at
/// once (the broker is in-process). <see cref="Abort"/> behaves like a dropped connection: every delivery this
/// connection holds goes back to its queue without its handler being told.
/// </summary>
public sealed class InMemoryTransport(InMemoryBroker broker) : IMessageTransport
{
    private readonly List<Subscription> _subscriptions = [];
    private bool _aborted;

    public InMemoryTransport() : this(new InMemoryBroker()) { }

    public InMemoryBroker Broker { get; } = broker;

    public string Name => "inmemory";

    public Task DeclareAsync(TopologyDefinition topology, CancellationToken cancellationToken)
    {
        ThrowIfAborted();
        foreach (var exchange in topology.Exchanges) Broker.DeclareExchange(exchange);
        foreach (var queue in topology.Queues) Broker.DeclareQueue(queue);
        foreach (var binding in topology.Bindings) Broker.Bind(binding);
        return Task.CompletedTask;
    }

    public Task<ISubscription> SubscribeAsync(string queue, int prefetch, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        ThrowIfAborted();
        var subscription = new Subscription(Broker, queue, Broker.AddConsumer(queue, prefetch, this, handler));
        lock (_subscriptions) _subscriptions.Add(subscription);
        return Task.FromResult<ISubscription>(subscription);
    }

    public Task PublishAsync(string exchange, string routingKey, OutboundMessage message, CancellationToken cancellationToken)
    {
        ThrowIfAborted();
        cancellationToken.ThrowIfCancellationRequested();
        Broker.Publish(exchange, routingKey, message);
        return Task.CompletedTask;
    }

    public Task<DeliveryBatch> GetAsync(string queue, int max, CancellationToken cancellationToken)
    {
        ThrowIfAborted();
        var owner = new object();
        var deliveries = Broker.Get(queue, max, owner);
        return Task.FromResult(new DeliveryBatch(deliveries, () =>
        {
            Broker.ReturnUnsettled(owner);
            return ValueTask.CompletedTask;
        }));
    }

    public Task<uint> CountAsync(string queue, CancellationToken cancellationToken) => Task.FromResult(Broker.Count(queue));

    /// <summary>Simulates a lost connection (a killed worker): consumers vanish and their unsettled deliveries are requeued.</summary>
    public void Abort()
    {
        _aborted = true;
        Broker.ReturnUnsettled(this);
    }

    public async ValueTask DisposeAsync()
    {
        Subscription[] subscriptions;
        lock (_subscriptions) subscriptions = _subscriptions.ToArray();
        foreach (var subscription in subscriptions) await subscription.DisposeAsync().ConfigureAwait(false);
        Broker.ReturnUnsettled(this);
    }

    private void ThrowIfAborted()
    {
        if (_aborted) throw new InvalidOperationException("The in-memory connection was aborted.");
    }

    private sealed class Subscription(InMemoryBroker broker, string queue, InMemoryBroker.Consumer consumer) : ISubscription
    {
        private int _stopped;

        public string Queue { get; } = queue;

        public async Task StopAsync(TimeSpan drainTimeout)
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
            broker.CancelConsumer(consumer);
            var drained = Task.WhenAll(consumer.Running());
            if (await Task.WhenAny(drained, Task.Delay(drainTimeout)).ConfigureAwait(false) != drained)
            {
                // Past the drain timeout: tell the handlers to stop, give them a moment, then take their deliveries back.
                consumer.CancelHandlers();
                await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            }
            broker.ReturnUnsettled(consumer);
        }

        public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }
}
