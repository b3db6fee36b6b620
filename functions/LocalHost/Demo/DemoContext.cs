using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.InMemory;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EventProcessors.LocalHost.Demo;

/// <summary>
/// What a demo scenario works with: publish events the way their platforms send them (Collector without ids, MES with
/// its <c>meta</c> block), wait until the worker has handled everything they caused, and read the follow-ons that came
/// out (from a tap queue bound with <c>#</c> to both exchanges).
/// </summary>
public sealed class DemoContext : IAsyncDisposable
{
    private readonly ConcurrentQueue<CloudEvent> _followOns = new();
    private readonly HashSet<string> _expectedDeadLetters = new(StringComparer.Ordinal);
    private readonly List<string> _flows = [];
    private readonly ITimelineObserver _observer;
    private ISubscription? _tap;
    private string? _tapQueue;

    private DemoContext(IMessageTransport transport, TimelineRecorder timeline, IServiceProvider services, TimeProvider time)
    {
        Transport = transport;
        Timeline = timeline;
        Services = services;
        Time = time;
        Tables = services.GetRequiredService<ITableServiceClient>();
        // Every observer the worker reports to (the recorder, the live console) also sees what the demo publishes.
        _observer = services.GetService(typeof(IEnumerable<ITimelineObserver>)) is IEnumerable<ITimelineObserver> observers
            ? new CompositeTimelineObserver(observers)
            : timeline;
    }

    private static readonly JsonSerializerOptions BodyJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public IMessageTransport Transport { get; }
    public TimelineRecorder Timeline { get; }
    public IServiceProvider Services { get; }
    public TimeProvider Time { get; }

    /// <summary>The tables the worker keeps its state in, for the master data the demo sets up and the state it shows.</summary>
    public ITableServiceClient Tables { get; }

    /// <summary>Distinguishes this run's events from an earlier run's (same tables, same broker): ids derive from bodies.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..6];

    /// <summary>Collector's tenant, one per run, so a run on tables an earlier run used starts from the same stock.</summary>
    public string Tenant => "tenant-demo-" + RunId;

    /// <summary>The correlation ids of messages planted to be dead-lettered; any other dead letter is a failure of the demo.</summary>
    public IReadOnlySet<string> ExpectedDeadLetters => _expectedDeadLetters;

    public static async Task<DemoContext> StartAsync(IMessageTransport transport, TimelineRecorder timeline,
        IServiceProvider services, TimeProvider time, CancellationToken cancellationToken)
    {
        var context = new DemoContext(transport, timeline, services, time);
        var queue = context._tapQueue = "demo.tap." + context.RunId;
        await transport.DeclareAsync(new TopologyDefinition(
            [new ExchangeDefinition(Destinations.CollectorExchange), new ExchangeDefinition(Destinations.MesTopic)],
            [new QueueDefinition(queue, new Dictionary<string, object> { ["x-expires"] = 600_000 }, Durable: false)],
            [new BindingDefinition(Destinations.CollectorExchange, queue, "#"), new BindingDefinition(Destinations.MesTopic, queue, "#")]), cancellationToken);
        context._tap = await transport.SubscribeAsync(queue, 100, async (delivery, _) =>
        {
            if (delivery.Message.ContentType == CloudEvent.JsonContentType)
            {
                try
                {
                    if (JsonSerializer.Deserialize<CloudEvent>(delivery.Message.Body.Span, ContractJson.Options) is { } e) context._followOns.Enqueue(e);
                }
                catch (JsonException)
                {
                    // Not ours to judge: the tap only collects follow-ons the worker published.
                }
            }
            await delivery.AckAsync();
        }, cancellationToken);
        return context;
    }

    /// <summary>Stocks the product in the warehouse for this run's tenant, as whoever runs the inventory would.</summary>
    public async Task DefineStockAsync(StockItem item, DemoNotes notes)
    {
        await new StockLevels(Tables).DefineAsync(Tenant, item, CancellationToken.None);
        notes.Show(string.Create(CultureInfo.InvariantCulture,
            $"stock set up: {item.OnHand} × {item.ProductId} ({item.ProductName}) in {item.WarehouseId}, reorder level {item.ReorderLevel}"));
    }

    /// <summary>Shows the product's stock level in the warehouse as the worker left it.</summary>
    public async Task<StockLevel?> ShowStockAsync(StockItem item, DemoNotes notes)
    {
        var level = await new StockLevels(Tables).GetAsync(Tenant, item.ProductId, item.WarehouseId, CancellationToken.None);
        if (level is null) notes.Miss($"the stock level of {item.ProductId} in {item.WarehouseId}");
        else notes.Show(string.Create(CultureInfo.InvariantCulture,
            $"stock of {level.ProductId} in {level.WarehouseId}: on hand {level.OnHand}, reserved {level.Reserved}, available {level.Available}"));
        return level;
    }

    /// <summary>The correlation id of one of this run's flows; the demo traces each one when its scenario ends.</summary>
    public string Correlation(string scenario)
    {
        var id = $"{scenario}-{RunId}";
        lock (_flows) if (!_flows.Contains(id)) _flows.Add(id);
        return id;
    }

    /// <summary>The flows begun since the last call, in the order they began.</summary>
    public IReadOnlyList<string> TakeFlows()
    {
        lock (_flows)
        {
            var flows = _flows.ToArray();
            _flows.Clear();
            return flows;
        }
    }

    /// <summary>A Collector event exactly as seed 003 shows it: no id, correlationId optional. Returns the body sent.</summary>
    public async Task<byte[]> PublishCollectorAsync(string type, JsonObject data, string correlationId, bool expectDeadLetter = false)
    {
        if (expectDeadLetter) _expectedDeadLetters.Add(correlationId);
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = type,
            ["timestamp"] = Time.GetUtcNow().ToString("O"),
            ["tenantId"] = Tenant,
            ["source"] = SourceOf(type),
            ["correlationId"] = correlationId,
            ["data"] = data.DeepClone(),
        }.ToJsonString(BodyJson));
        await PublishRawAsync(Destinations.CollectorExchange, type, body, correlationId);
        return body;
    }

    /// <summary>An MES event as seeds 000/001 show it: <c>{ type, meta: { eventId, source, userId, correlationId, timestamp }, data }</c>.</summary>
    public async Task<byte[]> PublishMesAsync(string type, JsonObject data, string correlationId, string? eventId = null)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = type,
            ["meta"] = new JsonObject
            {
                ["eventId"] = eventId ?? Guid.NewGuid().ToString(),
                ["source"] = "mes." + type.Split('.')[0] + "-service",
                ["userId"] = "operator-7",
                ["correlationId"] = correlationId,
                ["timestamp"] = Time.GetUtcNow().ToString("O"),
                ["version"] = "1.0",
            },
            ["data"] = data.DeepClone(),
        }.ToJsonString(BodyJson));
        await PublishRawAsync(Destinations.MesTopic, type, body, correlationId);
        return body;
    }

    /// <summary>A manufacturing-intelligence event as seed 002 shows it: <c>{ id, type, source, timestamp, payload, correlationId }</c>.</summary>
    public async Task PublishIntelligenceAsync(string type, JsonObject payload, string correlationId)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["type"] = type,
            ["source"] = "intelligence." + type.Split('.')[0],
            ["timestamp"] = Time.GetUtcNow().ToString("O"),
            ["payload"] = payload.DeepClone(),
            ["correlationId"] = correlationId,
        }.ToJsonString(BodyJson));
        await PublishRawAsync(Destinations.MesTopic, type, body, correlationId);
    }

    public async Task PublishRawAsync(string exchange, string routingKey, byte[] body, string correlationId, string? note = null)
    {
        _observer.Record(new TimelineEntry(Time.GetUtcNow(), TimelineKind.Injected, "demo", null, routingKey, correlationId, Detail: note, Exchange: exchange));
        // Keyed by the scenario's correlation id: on Kafka one scenario's events share a partition and arrive in order.
        await Transport.PublishAsync(exchange, routingKey, new OutboundMessage(body, "application/json", Key: correlationId), CancellationToken.None);
    }

    /// <summary>Waits until everything published so far, and everything it caused, has been handled.</summary>
    public async Task SettleAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (Transport is InMemoryTransport memory)
        {
            await memory.Broker.WaitForIdleAsync(limit);
            return;
        }
        // A real broker cannot be asked "is everything done?": wait until the timeline has been quiet for a moment, every
        // delivery received has reached a verdict, and no queue holds a message not yet delivered (on a busy machine a
        // message can wait longer than the quiet moment).
        var deadline = DateTime.UtcNow + limit;
        var quietFor = TimeSpan.FromMilliseconds(750);
        while (DateTime.UtcNow < deadline)
        {
            var entries = Timeline.Entries;
            var last = entries.Count == 0 ? DateTimeOffset.MinValue : entries[^1].At;
            var open = entries.Count(e => e.Kind == TimelineKind.Received)
                - entries.Count(e => e.Kind is TimelineKind.Completed or TimelineKind.Duplicate or TimelineKind.Ignored or TimelineKind.DeadLettered or TimelineKind.Requeued or TimelineKind.Failed);
            if (open <= 0 && entries.Count(e => e.Kind == TimelineKind.Received) >= ExpectedDeliveries(entries)
                && Time.GetUtcNow() - last > quietFor && TapCaughtUp(entries) && await QueuesEmptyAsync()) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"The worker was still busy after {limit}.");
    }

    /// <summary>
    /// Deliveries the worker must have received by now: one per action queue bound to each message published so far. A
    /// message a worker's client has prefetched but not yet handed over is neither ready in its queue nor received.
    /// </summary>
    private int ExpectedDeliveries(IReadOnlyList<TimelineEntry> entries)
    {
        var bindings = (Services.GetService(typeof(Worker.EventWorker)) as Worker.EventWorker)?.Topology.Bindings ?? [];
        return entries.Where(e => e.Kind is TimelineKind.Injected or TimelineKind.Published && e.Exchange is not null && e.EventType is not null)
            .Sum(e => bindings.Where(b => b.Exchange == e.Exchange && TopicPattern.Matches(b.RoutingKey, e.EventType!)).Select(b => b.Queue).Distinct().Count());
    }

    /// <summary>Every follow-on the worker published has reached the tap (over Kafka it can trail the quiet moment).</summary>
    private bool TapCaughtUp(IReadOnlyList<TimelineEntry> entries)
    {
        var tapped = _followOns.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        return entries.Where(e => e.Kind == TimelineKind.Published && e.EventId is not null).All(e => tapped.Contains(e.EventId!));
    }

    private async Task<bool> QueuesEmptyAsync()
    {
        var queues = Consumers.All.Select(c => c.Queue).Concat(Audit.AuditWorker.Topology().Queues.Select(q => q.Name)).Append(_tapQueue!);
        foreach (var queue in queues)
        {
            try
            {
                if (await Transport.CountAsync(queue, CancellationToken.None) > 0) return false;
            }
            catch (QueueNotFoundException)
            {
                // Not declared by this worker (the audit consumer switched off): nothing waits there.
            }
        }
        return true;
    }

    /// <summary>The latest follow-on of <paramref name="type"/> in <paramref name="correlationId"/>'s flow, as its payload record.</summary>
    public T? FollowOn<T>(string type, string correlationId) where T : class =>
        _followOns.LastOrDefault(e => e.Type == type && e.CorrelationId == correlationId)?.DataAs<T>();

    public IReadOnlyList<CloudEvent> FollowOns => _followOns.ToArray();

    private static string SourceOf(string type) => type.Split('.')[0] switch
    {
        "offer" => "offers-service",
        "order" => "orders-service",
        "delivery" => "delivery-service",
        "invoice" => "invoices-service",
        "stock" => "inventory-service",
        _ => "collector",
    };

    public async ValueTask DisposeAsync()
    {
        if (_tap is not null) await _tap.StopAsync(TimeSpan.FromSeconds(5));
    }
}
