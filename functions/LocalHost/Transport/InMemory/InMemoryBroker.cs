using EventProcessors.Contracts;

namespace EventProcessors.LocalHost.Transport.InMemory;

/// <summary>
/// An in-process broker with the RabbitMQ semantics the worker relies on: topic (and direct) exchanges with
/// <c>*</c>/<c>#</c> bindings, the default exchange, queues with manual acknowledgement and per-consumer prefetch,
/// unacknowledged deliveries returned to the head of the queue on requeue, consumer stop or a dropped connection,
/// dead-lettering through <c>x-dead-letter-exchange</c> on reject or past <c>x-delivery-limit</c>. One broker is
/// shared by any number of <see cref="InMemoryTransport"/> "connections". Thread-safe (one lock).
/// </summary>
public sealed class InMemoryBroker
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Exchange> _exchanges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue> _queues = new(StringComparer.Ordinal);
    private long _nextTag;
    private int _inFlight;

    public InMemoryBroker() => _exchanges[""] = new Exchange("", "direct");

    /// <summary>Every message published, in order, with the exchange and routing key it was published to.</summary>
    public event Action<string, string, OutboundMessage>? Published;

    public void DeclareExchange(ExchangeDefinition definition)
    {
        lock (_gate)
        {
            if (_exchanges.TryGetValue(definition.Name, out var existing))
            {
                if (existing.Type != definition.Type)
                    throw new InvalidOperationException($"PRECONDITION_FAILED: exchange '{definition.Name}' exists with type {existing.Type}, not {definition.Type}.");
                return;
            }
            _exchanges[definition.Name] = new Exchange(definition.Name, definition.Type);
        }
    }

    public void DeclareQueue(QueueDefinition definition)
    {
        lock (_gate)
        {
            if (_queues.ContainsKey(definition.Name)) return;
            _queues[definition.Name] = new Queue(definition.Name, definition.Arguments);
        }
    }

    public void Bind(BindingDefinition binding)
    {
        lock (_gate)
        {
            var exchange = ExchangeOrThrow(binding.Exchange);
            QueueOrThrow(binding.Queue);
            if (!exchange.Bindings.Contains((binding.Queue, binding.RoutingKey)))
                exchange.Bindings.Add((binding.Queue, binding.RoutingKey));
        }
    }

    public IReadOnlyList<string> QueueNames
    {
        get { lock (_gate) return _queues.Keys.ToArray(); }
    }

    public void Publish(string exchange, string routingKey, OutboundMessage message)
    {
        List<Queue> targets;
        lock (_gate)
        {
            targets = Route(ExchangeOrThrow(exchange), routingKey);
            foreach (var queue in targets)
                queue.Ready.AddLast(new StoredMessage(message, exchange, routingKey));
        }
        Published?.Invoke(exchange, routingKey, message);
        foreach (var queue in targets) Dispatch(queue);
    }

    public uint Count(string queue)
    {
        lock (_gate) return (uint)QueueOrThrow(queue).Ready.Count;
    }

    /// <summary>Copies of the messages ready in <paramref name="queue"/> (for tests and the demo's summary).</summary>
    public IReadOnlyList<InMemoryMessage> Peek(string queue)
    {
        lock (_gate) return QueueOrThrow(queue).Ready.Select(m => m.ToPublic()).ToArray();
    }

    /// <summary>
    /// Completes when no queue that has a consumer holds a ready message and no delivery is in flight, that is,
    /// when every published event has been handled (and everything it caused too).
    /// </summary>
    public async Task WaitForIdleAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var quietChecks = 0;
        while (true)
        {
            quietChecks = IsIdle() ? quietChecks + 1 : 0;
            if (quietChecks >= 2) return;
            try
            {
                await Task.Delay(5, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The in-memory broker was still busy after {timeout}: {Describe()}");
            }
        }
    }

    private bool IsIdle()
    {
        lock (_gate) return _inFlight == 0 && _queues.Values.All(q => q.Consumers.Count == 0 || q.Ready.Count == 0);
    }

    private string Describe()
    {
        lock (_gate)
            return $"{_inFlight} in flight; ready: " + string.Join(", ", _queues.Values.Where(q => q.Ready.Count > 0).Select(q => $"{q.Name}={q.Ready.Count}"));
    }

    internal Consumer AddConsumer(string queue, int prefetch, object connection, Func<Delivery, CancellationToken, Task> handler)
    {
        Consumer consumer;
        Queue q;
        lock (_gate)
        {
            q = QueueOrThrow(queue);
            consumer = new Consumer(this, q, Math.Max(1, prefetch), connection, handler);
            q.Consumers.Add(consumer);
        }
        Dispatch(q);
        return consumer;
    }

    /// <summary>Stops new deliveries to <paramref name="consumer"/>; its in-flight deliveries stay with it until settled or returned.</summary>
    internal void CancelConsumer(Consumer consumer)
    {
        lock (_gate) consumer.Queue.Consumers.Remove(consumer);
    }

    /// <summary>Returns every unsettled delivery of <paramref name="owner"/> to its queue (consumer stopped, connection lost).</summary>
    internal void ReturnUnsettled(object owner)
    {
        var touched = new HashSet<Queue>();
        lock (_gate)
        {
            foreach (var queue in _queues.Values)
            {
                foreach (var consumer in queue.Consumers.Where(c => c.Connection == owner || c == owner).ToArray())
                    queue.Consumers.Remove(consumer);
                var returned = queue.Unacked.Where(u => u.Value.Owner == owner || u.Value.Owner is Consumer c && c.Connection == owner).ToArray();
                // Back to the head in their original order, as RabbitMQ returns them.
                foreach (var (tag, entry) in returned.OrderByDescending(r => r.Key))
                {
                    queue.Unacked.Remove(tag);
                    if (entry.Owner is Consumer) _inFlight--;
                    entry.Message.Redelivered = true;
                    Requeue(queue, entry.Message);
                    touched.Add(queue);
                }
            }
        }
        foreach (var queue in touched) Dispatch(queue);
        DispatchAll();
    }

    internal IReadOnlyList<Delivery> Get(string queue, int max, object owner)
    {
        lock (_gate)
        {
            var q = QueueOrThrow(queue);
            var taken = new List<Delivery>();
            while (taken.Count < max && q.Ready.First is { } first)
            {
                q.Ready.RemoveFirst();
                taken.Add(Track(q, first.Value, owner));
            }
            return taken;
        }
    }

    internal void Settle(Queue queue, long tag, Settlement settlement)
    {
        lock (_gate)
        {
            if (!queue.Unacked.Remove(tag, out var entry)) return; // stale: already returned to the queue
            if (entry.Owner is Consumer consumer)
            {
                consumer.InFlight--;
                _inFlight--;
            }
            switch (settlement)
            {
                case Settlement.Ack:
                    break;
                case Settlement.Requeue:
                    entry.Message.Redelivered = true;
                    Requeue(queue, entry.Message);
                    break;
                case Settlement.Reject:
                    DeadLetter(queue, entry.Message, "rejected");
                    break;
            }
        }
        DispatchAll();
    }

    private void Requeue(Queue queue, StoredMessage message)
    {
        message.DeliveryCount++;
        if (queue.DeliveryLimit is { } limit && message.DeliveryCount > limit)
            DeadLetter(queue, message, "delivery_limit");
        else
            queue.Ready.AddFirst(message);
    }

    /// <summary>Broker-side dead-lettering: to the queue's dead-letter exchange, with the x-first-death-* headers RabbitMQ adds.</summary>
    private void DeadLetter(Queue queue, StoredMessage message, string reason)
    {
        if (queue.DeadLetterExchange is not { } dlx || !_exchanges.TryGetValue(dlx, out var exchange)) return; // dropped, as RabbitMQ does
        var headers = new Dictionary<string, object?>(message.Message.Headers ?? new Dictionary<string, object?>(), StringComparer.Ordinal);
        headers.TryAdd("x-first-death-queue", queue.Name);
        headers.TryAdd("x-first-death-reason", reason);
        headers.TryAdd("x-first-death-exchange", message.Exchange);
        headers["x-death"] = new List<object?>
        {
            new Dictionary<string, object?>
            {
                ["queue"] = queue.Name,
                ["reason"] = reason,
                ["exchange"] = message.Exchange,
                ["routing-keys"] = new List<object?> { message.RoutingKey },
                ["count"] = 1L,
            },
        };
        var routingKey = queue.DeadLetterRoutingKey ?? message.RoutingKey;
        foreach (var target in Route(exchange, routingKey))
            target.Ready.AddLast(new StoredMessage(message.Message with { Headers = headers }, dlx, routingKey));
    }

    private List<Queue> Route(Exchange exchange, string routingKey)
    {
        if (exchange.Name.Length == 0)
            return _queues.TryGetValue(routingKey, out var direct) ? [direct] : [];
        return exchange.Bindings
            .Where(b => exchange.Type == "topic" ? TopicPattern.Matches(b.Pattern, routingKey) : b.Pattern == routingKey)
            .Select(b => b.Queue).Distinct(StringComparer.Ordinal)
            .Select(name => _queues[name])
            .ToList();
    }

    private void DispatchAll()
    {
        Queue[] queues;
        lock (_gate) queues = _queues.Values.Where(q => q.Ready.Count > 0 && q.Consumers.Count > 0).ToArray();
        foreach (var queue in queues) Dispatch(queue);
    }

    private void Dispatch(Queue queue)
    {
        var work = new List<(Consumer, Delivery)>();
        lock (_gate)
        {
            while (queue.Ready.Count > 0)
            {
                var consumer = NextConsumerWithCapacity(queue);
                if (consumer is null) break;
                var message = queue.Ready.First!.Value;
                queue.Ready.RemoveFirst();
                consumer.InFlight++;
                _inFlight++;
                work.Add((consumer, Track(queue, message, consumer)));
            }
        }
        foreach (var (consumer, delivery) in work) consumer.Run(delivery);
    }

    private static Consumer? NextConsumerWithCapacity(Queue queue)
    {
        for (var i = 0; i < queue.Consumers.Count; i++)
        {
            var consumer = queue.Consumers[(queue.NextConsumer + i) % queue.Consumers.Count];
            if (consumer.InFlight < consumer.Prefetch)
            {
                queue.NextConsumer = (queue.NextConsumer + i + 1) % queue.Consumers.Count;
                return consumer;
            }
        }
        return null;
    }

    private InMemoryDelivery Track(Queue queue, StoredMessage message, object owner)
    {
        var tag = ++_nextTag;
        queue.Unacked[tag] = new Unacked(message, owner);
        return new InMemoryDelivery(this, queue, tag, message);
    }

    private Exchange ExchangeOrThrow(string name) => _exchanges.TryGetValue(name, out var exchange)
        ? exchange
        : throw new InvalidOperationException($"NOT_FOUND: no exchange '{name}' in the in-memory broker.");

    private Queue QueueOrThrow(string name) => _queues.TryGetValue(name, out var queue)
        ? queue
        : throw new QueueNotFoundException(name);

    internal enum Settlement { Ack, Requeue, Reject }

    private sealed record Exchange(string Name, string Type)
    {
        public List<(string Queue, string Pattern)> Bindings { get; } = [];
    }

    internal sealed class Queue(string name, IReadOnlyDictionary<string, object> arguments)
    {
        public string Name { get; } = name;
        public LinkedList<StoredMessage> Ready { get; } = new();
        public Dictionary<long, Unacked> Unacked { get; } = [];
        public List<Consumer> Consumers { get; } = [];
        public int NextConsumer { get; set; }
        public string? DeadLetterExchange { get; } = arguments.GetValueOrDefault("x-dead-letter-exchange") as string;
        public string? DeadLetterRoutingKey { get; } = arguments.GetValueOrDefault("x-dead-letter-routing-key") as string;
        public int? DeliveryLimit { get; } = arguments.GetValueOrDefault("x-delivery-limit") is int limit ? limit : null;
    }

    internal sealed record Unacked(StoredMessage Message, object Owner);

    internal sealed class StoredMessage(OutboundMessage message, string exchange, string routingKey)
    {
        public OutboundMessage Message { get; } = message;
        public string Exchange { get; } = exchange;
        public string RoutingKey { get; } = routingKey;
        public bool Redelivered { get; set; }
        public int DeliveryCount { get; set; }

        public InMemoryMessage ToPublic() => new(Exchange, RoutingKey, Message, Redelivered);
    }

    internal sealed class Consumer(InMemoryBroker broker, Queue queue, int prefetch, object connection, Func<Delivery, CancellationToken, Task> handler)
    {
        private readonly CancellationTokenSource _stopping = new();
        private readonly HashSet<Task> _running = [];

        public Queue Queue { get; } = queue;
        public int Prefetch { get; } = prefetch;
        public object Connection { get; } = connection;
        public int InFlight { get; set; }

        public void Run(Delivery delivery)
        {
            var task = Task.Run(async () =>
            {
                try
                {
                    await handler(delivery, _stopping.Token).ConfigureAwait(false);
                }
                catch
                {
                    // A handler that throws leaves the delivery unsettled; it goes back to the queue.
                    await delivery.RequeueAsync().ConfigureAwait(false);
                }
            });
            lock (_running) _running.Add(task);
            task.ContinueWith(t => { lock (_running) _running.Remove(t); }, TaskScheduler.Default);
        }

        public Task[] Running()
        {
            lock (_running) return _running.ToArray();
        }

        public void CancelHandlers() => _stopping.Cancel();

        public InMemoryBroker Broker { get; } = broker;
    }

    private sealed class InMemoryDelivery(InMemoryBroker broker, Queue queue, long tag, StoredMessage message)
        : Delivery(queue.Name, message.Exchange, message.RoutingKey, message.Redelivered, ToInbound(message.Message), message.Message.Headers ?? EmptyHeaders)
    {
        protected override Task AckCoreAsync(CancellationToken cancellationToken)
        {
            broker.Settle(queue, tag, Settlement.Ack);
            return Task.CompletedTask;
        }

        protected override Task NackCoreAsync(bool requeue, CancellationToken cancellationToken)
        {
            broker.Settle(queue, tag, requeue ? Settlement.Requeue : Settlement.Reject);
            return Task.CompletedTask;
        }
    }

    private static readonly IReadOnlyDictionary<string, object?> EmptyHeaders = new Dictionary<string, object?>();

    private static InboundMessage ToInbound(OutboundMessage message) => new(
        message.Body.ToArray(),
        message.Headers is null ? null : HeaderText.ToStrings(message.Headers),
        message.ContentType,
        message.MessageId);
}

/// <summary>A message as it sits in an in-memory queue.</summary>
public sealed record InMemoryMessage(string Exchange, string RoutingKey, OutboundMessage Message, bool Redelivered);
