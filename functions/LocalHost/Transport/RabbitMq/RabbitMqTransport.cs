using System.Collections;
using System.Text;
using EventProcessors.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EventProcessors.LocalHost.Transport.RabbitMq;

/// <summary>RabbitMQ could not be reached, or did not confirm a publish: back-pressure, not the message's fault.</summary>
public sealed class BrokerUnavailableException(string message, Exception innerException)
    : EventProcessors.Processing.Pipeline.DependencyUnavailableException(message, innerException);

/// <summary>Connection settings of <see cref="RabbitMqTransport"/>.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>AMQP URI (setting <c>RabbitMQConnection</c>). Default <c>amqp://guest:guest@localhost:5672/</c>.</summary>
    public Uri Uri { get; set; } = new("amqp://guest:guest@localhost:5672/");

    /// <summary>Wait between reconnection attempts after the broker went away. Default 1 s.</summary>
    public TimeSpan NetworkRecoveryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long start-up keeps trying to reach the broker. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The connection name the broker shows. Default <c>event-processors-localhost</c>.</summary>
    public string ClientName { get; set; } = "event-processors-localhost";

    /// <summary>
    /// Publishing channels (confirm mode) every handler of the connection shares; a message's key picks its channel, so one
    /// entity's events keep their order. Default 1: one channel lets the broker confirm many publishes at once.
    /// </summary>
    public int PublishChannels { get; set; } = 1;
}

/// <summary>
/// RabbitMQ over RabbitMQ.Client 7 (async API). One connection with automatic connection and topology recovery; per
/// subscription one channel with manual acks and prefetch = <c>basic.qos</c> (handlers run off the dispatcher, at most prefetch at once);
/// <see cref="RabbitMqOptions.PublishChannels"/> shared publishing channels in confirm mode (<see cref="ConfirmChannel"/>), so
/// <see cref="PublishAsync"/> returns only after the broker confirmed, while the broker confirms concurrent publishes in batches. Deliveries received before a connection or channel was lost are never settled on the
/// recovered channel (their tags are void): the broker has already put them back in the queue.
/// </summary>
public sealed class RabbitMqTransport : IMessageTransport
{
    private readonly IConnection _connection;
    private readonly ILogger _logger;
    private readonly Task<ConfirmChannel>?[] _publishChannels;
    private readonly Lock _publishGate = new();
    private readonly List<Subscription> _subscriptions = [];
    private long _connectionGeneration;

    private RabbitMqTransport(IConnection connection, int publishChannels, ILogger logger)
    {
        _connection = connection;
        _publishChannels = new Task<ConfirmChannel>?[Math.Max(1, publishChannels)];
        _logger = logger;
        _connection.ConnectionShutdownAsync += (_, args) =>
        {
            Interlocked.Increment(ref _connectionGeneration);
            if (args.Initiator != ShutdownInitiator.Application)
                _logger.LogWarning("RabbitMQ connection lost ({Reason}); recovering.", args.ReplyText);
            return Task.CompletedTask;
        };
        _connection.RecoverySucceededAsync += (_, _) =>
        {
            _logger.LogInformation("RabbitMQ connection recovered.");
            return Task.CompletedTask;
        };
    }

    public string Name => "rabbitmq";

    public IConnection Connection => _connection;

    /// <summary>Connects, retrying until <see cref="RabbitMqOptions.ConnectTimeout"/> (the broker may still be starting).</summary>
    public static async Task<RabbitMqTransport> ConnectAsync(RabbitMqOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        var factory = new ConnectionFactory
        {
            Uri = options.Uri,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = options.NetworkRecoveryInterval,
            ClientProvidedName = options.ClientName,
            RequestedHeartbeat = TimeSpan.FromSeconds(15),
        };
        var deadline = DateTimeOffset.UtcNow + options.ConnectTimeout;
        while (true)
        {
            try
            {
                return new RabbitMqTransport(await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false), options.PublishChannels, logger);
            }
            catch (BrokerUnreachableException e) when (DateTimeOffset.UtcNow < deadline)
            {
                logger.LogWarning("RabbitMQ at {Host}:{Port} is not reachable yet ({Reason}); retrying.", options.Uri.Host, options.Uri.Port, e.InnerException?.Message ?? e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task DeclareAsync(TopologyDefinition topology, CancellationToken cancellationToken) =>
        WhileUnavailableAsync("declaring the topology", async () =>
        {
            await DeclareOnceAsync(topology, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private async Task DeclareOnceAsync(TopologyDefinition topology, CancellationToken cancellationToken)
    {
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var exchange in topology.Exchanges)
            await channel.ExchangeDeclareAsync(exchange.Name, exchange.Type, exchange.Durable, autoDelete: false, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var queue in topology.Queues)
            await channel.QueueDeclareAsync(queue.Name, queue.Durable, exclusive: false, autoDelete: false,
                arguments: queue.Arguments.ToDictionary(a => a.Key, a => (object?)a.Value), cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var binding in topology.Bindings)
            await channel.QueueBindAsync(binding.Queue, binding.Exchange, binding.RoutingKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<ISubscription> SubscribeAsync(string queue, int prefetch, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken) =>
        WhileUnavailableAsync($"subscribing to {queue}", () => SubscribeOnceAsync(queue, prefetch, handler, cancellationToken), cancellationToken);

    /// <summary>
    /// A start-up step (declaring, subscribing) against a broker that is restarting or unreachable waits for the connection to
    /// recover and tries again, as publishing does: a worker started during a broker restart must come up once the broker is
    /// back, not fail to start.
    /// </summary>
    private async Task<T> WhileUnavailableAsync<T>(string step, Func<Task<T>> run, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await run().ConfigureAwait(false);
            }
            catch (Exception e) when (IsBrokerUnavailable(e) && !cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning("RabbitMQ is unavailable while {Step} ({Reason}); trying again in {Delay} ms.", step, e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
            }
        }
    }

    private async Task<ISubscription> SubscribeOnceAsync(string queue, int prefetch, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        var concurrency = (ushort)Math.Clamp(prefetch, 1, ushort.MaxValue);
        var channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false),
            cancellationToken).ConfigureAwait(false);
        try
        {
            return await ConsumeAsync(channel, queue, concurrency, handler, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<ISubscription> ConsumeAsync(IChannel channel, string queue, ushort concurrency, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        await channel.BasicQosAsync(0, concurrency, false, cancellationToken).ConfigureAwait(false);
        var subscription = new Subscription(this, channel, queue, handler);
        var consumer = new AsyncEventingBasicConsumer(channel);
        // The handler runs off the client's dispatcher: a slow or stuck handler never holds up the connection (its
        // shutdown, recovery or other channels). The prefetch bounds how many run at once.
        consumer.ReceivedAsync += (_, args) =>
        {
            subscription.Dispatch(args);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumerTag: subscription.ConsumerTag, noLocal: false, exclusive: false,
            arguments: null, consumer: consumer, cancellationToken: cancellationToken).ConfigureAwait(false);
        lock (_subscriptions) _subscriptions.Add(subscription);
        return subscription;
    }

    public async Task PublishAsync(string exchange, string routingKey, OutboundMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await PublishConfirmedAsync(exchange, routingKey, message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBrokerUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new BrokerUnavailableException($"RabbitMQ did not take the message for {exchange}/{routingKey}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The connection or channel is gone or recovering, or the broker refused or returned the message (a nack under
    /// resource alarms): worth waiting for. Channel errors about the request itself (no such exchange, access refused,
    /// a precondition) are not.
    /// </summary>
    private static bool IsBrokerUnavailable(Exception e) => e switch
    {
        OperationInterruptedException { ShutdownReason.ReplyCode: 403 or 404 or 406 } => false,
        RabbitMQClientException or IOException or TimeoutException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    private async Task PublishConfirmedAsync(string exchange, string routingKey, OutboundMessage message, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties
        {
            ContentType = message.ContentType,
            MessageId = message.MessageId,
            CorrelationId = message.CorrelationId,
            Type = message.Type,
            Persistent = true,
            Headers = message.Headers is null ? null : ToAmqpTable(message.Headers),
        };
        if (message.Timestamp is { } timestamp) properties.Timestamp = new AmqpTimestamp(timestamp.ToUnixTimeSeconds());
        var slot = _publishChannels.Length == 1 ? 0 : (int)((uint)StringComparer.Ordinal.GetHashCode(message.Key ?? message.MessageId ?? routingKey) % (uint)_publishChannels.Length);
        // The common case, an open channel, without the lock and the opening machinery.
        var channel = _publishChannels[slot] is { IsCompletedSuccessfully: true } open && open.Result.IsUsable
            ? open.Result
            : await PublishChannelAsync(slot, cancellationToken).ConfigureAwait(false);
        var confirmed = await channel.PublishAsync(exchange, routingKey, properties, message.Body, cancellationToken).ConfigureAwait(false);
        await confirmed.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The publishing channel of <paramref name="slot"/>; a lost one is replaced (and closed) by the first publish that finds it so.</summary>
    private async Task<ConfirmChannel> PublishChannelAsync(int slot, CancellationToken cancellationToken)
    {
        Task<ConfirmChannel> opening;
        ConfirmChannel? lost = null;
        lock (_publishGate)
        {
            var current = _publishChannels[slot];
            if (current is { IsCompletedSuccessfully: true } && current.Result.IsUsable) return current.Result;
            if (current is { IsCompleted: false }) opening = current;
            else
            {
                if (current is { IsCompletedSuccessfully: true }) lost = current.Result;
                opening = _publishChannels[slot] = ConfirmChannel.OpenAsync(_connection, CancellationToken.None);
            }
        }
        if (lost is not null) _ = lost.DisposeAsync().AsTask();
        try
        {
            return await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (opening.IsFaulted)
        {
            // Opening failed (the connection is down or recovering): the next publish tries again.
            lock (_publishGate)
            {
                if (_publishChannels[slot] == opening) _publishChannels[slot] = null;
            }
            throw;
        }
    }

    public async Task<DeliveryBatch> GetAsync(string queue, int max, CancellationToken cancellationToken)
    {
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var generation = new ChannelGeneration(this, channel);
        var deliveries = new List<Delivery>();
        try
        {
            while (deliveries.Count < max)
            {
                var result = await channel.BasicGetAsync(queue, autoAck: false, cancellationToken).ConfigureAwait(false);
                if (result is null) break;
                deliveries.Add(new RabbitDelivery(channel, generation, result.DeliveryTag, queue, result.Exchange, result.RoutingKey,
                    result.Redelivered, result.BasicProperties, result.Body));
            }
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            await DisposeQuietlyAsync(channel).ConfigureAwait(false);
            throw new QueueNotFoundException(queue, e);
        }
        catch
        {
            await DisposeQuietlyAsync(channel).ConfigureAwait(false);
            throw;
        }
        // Closing the channel returns every delivery not acknowledged on it.
        return new DeliveryBatch(deliveries, async () => await DisposeQuietlyAsync(channel).ConfigureAwait(false));
    }

    public async Task<uint> CountAsync(string queue, CancellationToken cancellationToken)
    {
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        uint count;
        try
        {
            count = await channel.MessageCountAsync(queue, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            throw new QueueNotFoundException(queue, e);
        }
        await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    /// <summary>Drops the connection without a goodbye, as a killed process would: the broker requeues every unacked delivery.</summary>
    public async Task AbortAsync()
    {
        Interlocked.Increment(ref _connectionGeneration);
        await _connection.AbortAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Subscription[] subscriptions;
        lock (_subscriptions) subscriptions = _subscriptions.ToArray();
        foreach (var subscription in subscriptions) await subscription.DisposeAsync().ConfigureAwait(false);
        foreach (var publisher in _publishChannels)
        {
            if (publisher is { IsCompletedSuccessfully: true }) await publisher.Result.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            if (_connection.IsOpen) await _connection.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException)
        {
            // Closing what is already gone.
        }
        _connection.Dispose();
    }

    internal long ConnectionGeneration => Interlocked.Read(ref _connectionGeneration);

    private static async Task DisposeQuietlyAsync(IChannel channel)
    {
        try
        {
            if (channel.IsOpen) await channel.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The channel or its connection is already closed; nothing to give back.
        }
        channel.Dispose();
    }

    /// <summary>AMQP header values: strings for text (the client reads longstr as bytes), tables and arrays kept.</summary>
    internal static Dictionary<string, object?> ToAmqpTable(IReadOnlyDictionary<string, object?> headers) =>
        headers.ToDictionary(h => h.Key, h => Normalise(h.Value), StringComparer.Ordinal);

    internal static object? Normalise(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string or null => value,
        IDictionary<string, object?> table => table.ToDictionary(t => t.Key, t => Normalise(t.Value), StringComparer.Ordinal),
        IList list and not Array => list.Cast<object?>().Select(Normalise).ToList(),
        _ => value,
    };

    /// <summary>Whether a delivery's channel is still the one it arrived on (no shutdown, no recovery since).</summary>
    private sealed class ChannelGeneration
    {
        private readonly RabbitMqTransport _transport;
        private readonly long _connectionGeneration;
        private int _channelLost;

        public ChannelGeneration(RabbitMqTransport transport, IChannel channel)
        {
            _transport = transport;
            _connectionGeneration = transport.ConnectionGeneration;
            channel.ChannelShutdownAsync += (_, _) =>
            {
                Interlocked.Exchange(ref _channelLost, 1);
                return Task.CompletedTask;
            };
        }

        public bool IsCurrent => Volatile.Read(ref _channelLost) == 0 && _transport.ConnectionGeneration == _connectionGeneration;
    }

    private sealed class Subscription : ISubscription
    {
        private readonly RabbitMqTransport _transport;
        private readonly IChannel _channel;
        private readonly Func<Delivery, CancellationToken, Task> _handler;
        private readonly CancellationTokenSource _stopping = new();
        private readonly object _gate = new();
        private ChannelGeneration _generation;
        private int _inFlight;
        private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _stopped;

        public Subscription(RabbitMqTransport transport, IChannel channel, string queue, Func<Delivery, CancellationToken, Task> handler)
        {
            _transport = transport;
            _channel = channel;
            _handler = handler;
            Queue = queue;
            ConsumerTag = $"{queue}.{Environment.MachineName}.{Guid.NewGuid():N}";
            _generation = new ChannelGeneration(transport, channel);
            _drained.SetResult();
        }

        public string Queue { get; }

        public string ConsumerTag { get; }

        public void Dispatch(BasicDeliverEventArgs args)
        {
            ChannelGeneration generation;
            lock (_gate)
            {
                // A delivery after a recovery belongs to the new channel incarnation.
                if (!_generation.IsCurrent) _generation = new ChannelGeneration(_transport, _channel);
                generation = _generation;
                if (_inFlight++ == 0) _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            // The body's memory belongs to the client only until this callback returns: copy it now.
            var delivery = new RabbitDelivery(_channel, generation, args.DeliveryTag, Queue, args.Exchange, args.RoutingKey, args.Redelivered,
                args.BasicProperties, args.Body.ToArray());
            // A plain thread-pool work item: no Task, and no execution context of the client's dispatcher carried into the handler.
            ThreadPool.UnsafeQueueUserWorkItem(static run => _ = run.Subscription.RunAsync(run.Delivery), (Subscription: this, Delivery: (Delivery)delivery), preferLocal: false);
        }

        private async Task RunAsync(Delivery delivery)
        {
            try
            {
                try
                {
                    await _handler(delivery, _stopping.Token).ConfigureAwait(false);
                }
                catch
                {
                    // The handler's failure leaves the delivery for another attempt.
                    try { await delivery.RequeueAsync().ConfigureAwait(false); } catch (Exception) { /* the broker requeues on channel loss */ }
                }
            }
            finally
            {
                lock (_gate)
                {
                    if (--_inFlight == 0) _drained.TrySetResult();
                }
            }
        }

        public async Task StopAsync(TimeSpan drainTimeout)
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
            try
            {
                if (_channel.IsOpen) await _channel.BasicCancelAsync(ConsumerTag).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Channel already gone: nothing more will be delivered anyway.
            }
            Task drained;
            lock (_gate) drained = _drained.Task;
            if (await Task.WhenAny(drained, Task.Delay(drainTimeout)).ConfigureAwait(false) != drained)
            {
                await _stopping.CancelAsync().ConfigureAwait(false);
                await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            }
            await DisposeQuietlyAsync(_channel).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    private sealed class RabbitDelivery(IChannel channel, ChannelGeneration generation, ulong tag, string queue, string exchange, string routingKey,
        bool redelivered, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
        : Delivery(queue, exchange, routingKey, redelivered, ToInbound(properties, body, out var raw), raw)
    {
        public override bool CanSettle => base.CanSettle && generation.IsCurrent && channel.IsOpen;

        protected override async Task AckCoreAsync(CancellationToken cancellationToken)
        {
            // A tag from before a recovery means nothing now; the broker has already requeued that delivery.
            if (!generation.IsCurrent) throw new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, 0, "channel was recovered since this delivery"));
            await channel.BasicAckAsync(tag, multiple: false, CancellationToken.None).ConfigureAwait(false);
        }

        protected override async Task NackCoreAsync(bool requeue, CancellationToken cancellationToken)
        {
            if (!generation.IsCurrent) return;
            await channel.BasicNackAsync(tag, multiple: false, requeue, CancellationToken.None).ConfigureAwait(false);
        }

        private static InboundMessage ToInbound(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, out IReadOnlyDictionary<string, object?> raw)
        {
            // A message without headers (the common case) shares one empty table instead of two new dictionaries.
            raw = properties.Headers is { Count: > 0 } headers ? ToAmqpTable(headers.AsReadOnly()) : NoHeaders;
            return new InboundMessage(body, raw.Count == 0 ? NoHeaderText : HeaderText.ToStrings(raw), properties.ContentType, properties.MessageId) { MessagingSystem = "rabbitmq" };
        }

        private static readonly IReadOnlyDictionary<string, object?> NoHeaders = new Dictionary<string, object?>().AsReadOnly();

        private static readonly IReadOnlyDictionary<string, string> NoHeaderText = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase).AsReadOnly();
    }
}
