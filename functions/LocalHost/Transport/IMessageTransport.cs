using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Telemetry;

namespace EventProcessors.LocalHost.Transport;

/// <summary>
/// What the worker needs of a broker, and no more: declare the topology, consume a queue with manual
/// settlement and a prefetch, publish with confirms, read a queue message by message (dead-letter tools).
/// Implemented by <see cref="RabbitMq.RabbitMqTransport"/> and <see cref="InMemory.InMemoryTransport"/> with the
/// same semantics, so the worker loop is written once.
/// </summary>
public interface IMessageTransport : IAsyncDisposable
{
    /// <summary>"rabbitmq" or "inmemory", for logs and the timeline.</summary>
    string Name { get; }

    /// <summary>Declares exchanges, queues and bindings; idempotent (declaring what exists changes nothing).</summary>
    Task DeclareAsync(TopologyDefinition topology, CancellationToken cancellationToken);

    /// <summary>
    /// Starts consuming <paramref name="queue"/>: up to <paramref name="prefetch"/> deliveries are in flight at once,
    /// each handed to <paramref name="handler"/>, which must settle it (ack, requeue or reject). A delivery left
    /// unsettled when the subscription stops or the connection drops goes back to the queue.
    /// </summary>
    Task<ISubscription> SubscribeAsync(string queue, int prefetch, Func<Delivery, CancellationToken, Task> handler, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes and returns once the broker has confirmed it (persistent). Throws if it could not; a broker that is
    /// unreachable, or did not confirm, is a <see cref="Processing.Pipeline.DependencyUnavailableException"/>.
    /// </summary>
    Task PublishAsync(string exchange, string routingKey, OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="max"/> messages off <paramref name="queue"/> without a consumer (basic.get). Each must be
    /// settled; those left unsettled go back to the queue when the returned batch is disposed.
    /// </summary>
    Task<DeliveryBatch> GetAsync(string queue, int max, CancellationToken cancellationToken);

    /// <summary>Messages ready in <paramref name="queue"/> (not counting unacknowledged ones).</summary>
    Task<uint> CountAsync(string queue, CancellationToken cancellationToken);
}

/// <summary>A running consumer. Stopping it cancels the consumer, waits for in-flight handlers, then returns unsettled deliveries.</summary>
public interface ISubscription : IAsyncDisposable
{
    string Queue { get; }

    /// <summary>Stops new deliveries and waits (at most <paramref name="drainTimeout"/>) for the in-flight ones to settle.</summary>
    Task StopAsync(TimeSpan drainTimeout);
}

/// <summary>
/// A message to publish. Headers are AMQP application headers (string, number or boolean values). <paramref name="Key"/> is the
/// partition key a Kafka record is keyed by (AMQP has no such thing and ignores it).
/// </summary>
public sealed record OutboundMessage(
    ReadOnlyMemory<byte> Body,
    string? ContentType = null,
    string? MessageId = null,
    IReadOnlyDictionary<string, object?>? Headers = null,
    string? CorrelationId = null,
    string? Type = null,
    DateTimeOffset? Timestamp = null,
    string? Key = null)
{
    /// <summary>
    /// A follow-on event in CloudEvents structured mode: message_id = event id, content type application/cloudevents+json, keyed by
    /// its partition key (else subject, else id, as the Function App's Kafka output keys it) so one entity's events stay in order,
    /// and the trace context of <paramref name="publish"/> (its producer span; else the event's own) as
    /// <c>traceparent</c>/<c>tracestate</c> headers.
    /// </summary>
    public static OutboundMessage From(CloudEvent e, System.Diagnostics.Activity? publish = null) => new(
        e.ToJsonBytes(),
        CloudEvent.JsonContentType,
        e.Id,
        Headers: TraceHeaders(publish, e),
        CorrelationId: e.CorrelationId,
        Type: e.Type,
        Timestamp: e.Time,
        Key: e.PartitionKey ?? e.Subject ?? e.Id);

    /// <summary>The trace headers as AMQP application headers; null, and no dictionary made, when there is no trace context to carry.</summary>
    private static Dictionary<string, object?>? TraceHeaders(System.Diagnostics.Activity? publish, CloudEvent e)
    {
        Dictionary<string, object?>? headers = null;
        foreach (var (key, value) in MessageTracing.TraceHeaders(publish, e)) (headers ??= new(2, StringComparer.Ordinal))[key] = value;
        return headers;
    }
}

/// <summary>
/// One message handed to a consumer. <see cref="Message"/> is what the pipeline reads; the rest is where it came
/// from. Settle it exactly once; later settlements are ignored.
/// </summary>
public abstract class Delivery
{
    private int _settled;

    protected Delivery(string queue, string exchange, string routingKey, bool redelivered, InboundMessage message, IReadOnlyDictionary<string, object?> rawHeaders)
    {
        Queue = queue;
        Exchange = exchange;
        RoutingKey = routingKey;
        Redelivered = redelivered;
        Message = message;
        RawHeaders = rawHeaders;
    }

    public string Queue { get; }
    public string Exchange { get; }
    public string RoutingKey { get; }
    public bool Redelivered { get; }
    public InboundMessage Message { get; }

    /// <summary>The headers as the broker delivered them (for republishing them unchanged).</summary>
    public IReadOnlyDictionary<string, object?> RawHeaders { get; }

    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Whether it can still be settled: false once its channel was lost (the broker has already put it back).</summary>
    public virtual bool CanSettle => !IsSettled;

    /// <summary>Done with it: the broker forgets it.</summary>
    public Task AckAsync(CancellationToken cancellationToken = default) => Settle(() => AckCoreAsync(cancellationToken));

    /// <summary>Not done: put it back in the queue for another delivery.</summary>
    public Task RequeueAsync(CancellationToken cancellationToken = default) => Settle(() => NackCoreAsync(requeue: true, cancellationToken));

    /// <summary>Give up on it: the broker dead-letters it through the queue's dead-letter exchange.</summary>
    public Task RejectAsync(CancellationToken cancellationToken = default) => Settle(() => NackCoreAsync(requeue: false, cancellationToken));

    /// <summary>
    /// Where this very message sits in its stream, the same on every delivery of it, also after a crash: a Kafka record's topic and
    /// partition, and its offset. A queue's redeliveries carry no such place, so a queue message is known by its content: a SHA-256
    /// of its message id, its replay count and its body. A byte-identical resend is then the same message (one dead letter), and
    /// a replay from a dead-letter queue a new one.
    /// </summary>
    public virtual (string Stream, string Position) Position => ($"queue:{Queue}", ContentHash(Message));

    private static string ContentHash(InboundMessage message)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{message.MessageId}\n{message.Count(InboundMessage.ReplayCountHeader)}\n"));
        hash.AppendData(message.Body.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Where <see cref="WriteDeadLetterAsync"/> sends this delivery's dead letter.</summary>
    public virtual string DeadLetterDestination => Destinations.DeadLetterExchange;

    /// <summary>
    /// Writes this delivery's dead letter, <paramref name="letter"/> (the original with the <see cref="Worker.DeadLetterHeaders"/>), and
    /// returns where it went; the caller then acks. Queue transports publish it to the dead-letter exchange, routed to
    /// <c>&lt;queue&gt;.dead-letter</c>. A Kafka record's dead letter is the <see cref="KafkaDeadLetter"/> envelope instead, which also
    /// keeps its topic, partition and offset.
    /// </summary>
    public virtual async Task<string> WriteDeadLetterAsync(IMessageTransport transport, OutboundMessage letter, DeadLetterReason reason, string consumer,
        int attempts, CancellationToken cancellationToken)
    {
        await transport.PublishAsync(Destinations.DeadLetterExchange, Destinations.DeadLetterQueue(Queue), letter, cancellationToken).ConfigureAwait(false);
        return Destinations.DeadLetterExchange;
    }

    protected abstract Task AckCoreAsync(CancellationToken cancellationToken);

    protected abstract Task NackCoreAsync(bool requeue, CancellationToken cancellationToken);

    private Task Settle(Func<Task> settle) => Interlocked.Exchange(ref _settled, 1) == 0 ? settle() : Task.CompletedTask;
}

/// <summary>Messages taken by <see cref="IMessageTransport.GetAsync"/>; disposing it returns the unsettled ones to the queue.</summary>
public sealed class DeliveryBatch(IReadOnlyList<Delivery> deliveries, Func<ValueTask> release) : IAsyncDisposable
{
    public IReadOnlyList<Delivery> Deliveries { get; } = deliveries;

    public ValueTask DisposeAsync() => release();
}

/// <summary>The queue does not exist on the broker (AMQP 404 NOT_FOUND).</summary>
public sealed class QueueNotFoundException(string queue, Exception? inner = null)
    : Exception($"Queue '{queue}' does not exist.", inner)
{
    public string Queue { get; } = queue;
}
