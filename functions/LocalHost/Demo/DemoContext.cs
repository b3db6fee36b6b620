using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.InMemory;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.Demo;

/// <summary>
/// What a demo scenario works with: publish events the way their platforms send them (Collector without ids, MES with
/// its <c>meta</c> block), wait until the worker has handled everything they caused, and read the follow-ons that came
/// out (from a tap queue bound with <c>#</c> to both exchanges).
/// </summary>
public sealed class DemoContext : IAsyncDisposable
{
    private readonly ConcurrentQueue<CloudEvent> _followOns = new();
    private readonly IReadOnlySet<string> _actions;
    private readonly ITimelineObserver _observer;
    private ISubscription? _tap;

    private DemoContext(IMessageTransport transport, TimelineRecorder timeline, IEnumerable<IConsumerAction> actions, IServiceProvider services, TimeProvider time)
    {
        Transport = transport;
        Timeline = timeline;
        Services = services;
        Time = time;
        _actions = actions.Select(a => a.Definition.Name).ToHashSet(StringComparer.Ordinal);
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

    /// <summary>Distinguishes this run's events from an earlier run's (same tables, same broker): ids derive from bodies.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..6];

    public string Tenant { get; } = "tenant-demo";

    public static async Task<DemoContext> StartAsync(IMessageTransport transport, TimelineRecorder timeline, IEnumerable<IConsumerAction> actions,
        IServiceProvider services, TimeProvider time, CancellationToken cancellationToken)
    {
        var context = new DemoContext(transport, timeline, actions, services, time);
        var queue = "demo.tap." + context.RunId;
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

    /// <summary>Whether this build has the action (the demo runs whatever actions exist).</summary>
    public bool Has(string actionName) => _actions.Contains(actionName);

    public string Correlation(string scenario) => $"{scenario}-{RunId}";

    /// <summary>A Collector event exactly as seed 003 shows it: no id, correlationId optional. Returns the body sent.</summary>
    public async Task<byte[]> PublishCollectorAsync(string type, JsonObject data, string correlationId, DateTimeOffset? timestamp = null)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = type,
            ["timestamp"] = (timestamp ?? Time.GetUtcNow()).ToString("O"),
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

    public async Task PublishRawAsync(string exchange, string routingKey, byte[] body, string correlationId, string? note = null)
    {
        _observer.Record(new TimelineEntry(Time.GetUtcNow(), TimelineKind.Injected, "demo", null, routingKey, correlationId, Detail: note, Exchange: exchange));
        await Transport.PublishAsync(exchange, routingKey, new OutboundMessage(body, "application/json"), CancellationToken.None);
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
        // A real broker cannot be asked "is everything done?": wait until the timeline has been quiet for a moment
        // and every delivery received has reached a verdict.
        var deadline = DateTime.UtcNow + limit;
        var quietFor = TimeSpan.FromMilliseconds(750);
        while (DateTime.UtcNow < deadline)
        {
            var entries = Timeline.Entries;
            var last = entries.Count == 0 ? DateTimeOffset.MinValue : entries[^1].At;
            var open = entries.Count(e => e.Kind == TimelineKind.Received)
                - entries.Count(e => e.Kind is TimelineKind.Completed or TimelineKind.Duplicate or TimelineKind.Ignored or TimelineKind.DeadLettered or TimelineKind.Requeued or TimelineKind.Failed);
            if (open <= 0 && Time.GetUtcNow() - last > quietFor) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"The worker was still busy after {limit}.");
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
