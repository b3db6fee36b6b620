using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.Transport;

public sealed record ExchangeDefinition(string Name, string Type = "topic", bool Durable = true);

public sealed record QueueDefinition(string Name, IReadOnlyDictionary<string, object> Arguments, bool Durable = true);

public sealed record BindingDefinition(string Exchange, string Queue, string RoutingKey);

/// <summary>
/// The broker topology of DESIGN section 4: topic exchanges <c>collector-events</c> and <c>mes-events</c>; one durable
/// quorum queue per action, bound by the types it consumes and dead-lettering to <c>event-processors.dead-letter</c>
/// with routing key <c>&lt;queue&gt;.dead-letter</c>; one dead-letter queue per action; the Function App's outbox queue
/// and a retry queue per Collector action.
/// </summary>
public sealed record TopologyDefinition(
    IReadOnlyList<ExchangeDefinition> Exchanges,
    IReadOnlyList<QueueDefinition> Queues,
    IReadOnlyList<BindingDefinition> Bindings)
{
    /// <summary>
    /// Deliveries after which the broker itself dead-letters a message (quorum queue <c>x-delivery-limit</c>): a message
    /// that crashes the worker every time must end in its dead-letter queue, not loop forever. The worker's own retries
    /// happen within one delivery, so only crashes, shutdowns and broker restarts count here.
    /// </summary>
    public const int DefaultDeliveryLimit = 20;

    /// <summary>The exchange an action of <paramref name="bus"/> consumes from and publishes its follow-ons to.</summary>
    public static string ExchangeOf(EventBus bus) => bus == EventBus.Mes ? Destinations.MesTopic : Destinations.CollectorExchange;

    /// <summary>The topology for <paramref name="consumers"/> (default: every action of flows.md).</summary>
    public static TopologyDefinition For(IEnumerable<ConsumerDefinition>? consumers = null, int deliveryLimit = DefaultDeliveryLimit, bool includeOutbox = true)
    {
        var exchanges = new List<ExchangeDefinition>
        {
            new(Destinations.CollectorExchange),
            new(Destinations.MesTopic),
            new(Destinations.DeadLetterExchange, "direct"),
        };
        var queues = new List<QueueDefinition>();
        var bindings = new List<BindingDefinition>();
        foreach (var consumer in consumers ?? Consumers.All)
        {
            queues.Add(ActionQueue(consumer.Queue, deliveryLimit));
            queues.Add(DeadLetterQueue(consumer.Queue));
            bindings.AddRange(consumer.Consumes.Distinct(StringComparer.Ordinal)
                .Select(type => new BindingDefinition(ExchangeOf(consumer.Bus), consumer.Queue, type)));
            bindings.Add(new BindingDefinition(Destinations.DeadLetterExchange, Destinations.DeadLetterQueue(consumer.Queue), Destinations.DeadLetterQueue(consumer.Queue)));
            if (consumer.Bus == EventBus.Collector) queues.Add(RetryQueue(consumer.Queue));
        }
        if (includeOutbox)
        {
            // The Function App's Collector functions publish their follow-ons here (default exchange); RouteOutbox republishes them.
            queues.Add(ActionQueue(Destinations.CollectorOutbox, deliveryLimit));
            queues.Add(DeadLetterQueue(Destinations.CollectorOutbox));
            bindings.Add(new BindingDefinition(Destinations.DeadLetterExchange, Destinations.DeadLetterQueue(Destinations.CollectorOutbox), Destinations.DeadLetterQueue(Destinations.CollectorOutbox)));
        }
        return new TopologyDefinition(exchanges, queues, bindings);
    }

    /// <summary>The dead-letter queues of this topology (each action's <c>&lt;queue&gt;.dead-letter</c>).</summary>
    public IEnumerable<string> DeadLetterQueues => Queues.Select(q => q.Name).Where(n => n.EndsWith(".dead-letter", StringComparison.Ordinal));

    private static QueueDefinition ActionQueue(string name, int deliveryLimit) => new(name, new Dictionary<string, object>
    {
        ["x-queue-type"] = "quorum",
        ["x-dead-letter-exchange"] = Destinations.DeadLetterExchange,
        ["x-dead-letter-routing-key"] = Destinations.DeadLetterQueue(name),
        ["x-delivery-limit"] = deliveryLimit,
    });

    /// <summary>
    /// The Function App parks a Collector message here until its next attempt (per-message TTL); when the TTL ends the
    /// broker moves it back to the action queue, at least once (a quorum queue's at-least-once dead-lettering needs
    /// reject-publish overflow). The self-hosted worker retries in place and leaves these queues empty.
    /// </summary>
    private static QueueDefinition RetryQueue(string queue) => new(Destinations.RetryQueue(queue), new Dictionary<string, object>
    {
        ["x-queue-type"] = "quorum",
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = queue,
        ["x-dead-letter-strategy"] = "at-least-once",
        ["x-overflow"] = "reject-publish",
    });

    private static QueueDefinition DeadLetterQueue(string queue) => new(Destinations.DeadLetterQueue(queue), new Dictionary<string, object>
    {
        ["x-queue-type"] = "quorum",
    });
}
