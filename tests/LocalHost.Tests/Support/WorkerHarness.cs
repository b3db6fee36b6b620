using System.Collections.Concurrent;
using System.Text;
using EventProcessors.LocalHost.Records;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>One worker (pipeline, idempotency store, record writer, timeline) over a given transport and table account.</summary>
public sealed class WorkerHarness : IAsyncDisposable
{
    public WorkerHarness(IMessageTransport transport, ITableServiceClient tables, IEnumerable<IConsumerAction> actions,
        ProcessingOptions processing, WorkerOptions? options = null, ILoggerFactory? logs = null)
    {
        logs ??= NullLoggerFactory.Instance;
        Transport = transport;
        Options = options ?? FastOptions();
        var store = new TableIdempotencyStore(tables, Microsoft.Extensions.Options.Options.Create(processing), TimeProvider.System);
        var pipeline = new EventPipeline(store, Microsoft.Extensions.Options.Options.Create(processing), TimeProvider.System, logs.CreateLogger<EventPipeline>());
        Records = new RecordWriter(tables);
        Worker = new EventWorker(actions, pipeline, transport, Records, [Timeline], Microsoft.Extensions.Options.Options.Create(Options),
            TimeProvider.System, logs.CreateLogger<EventWorker>());
    }

    public IMessageTransport Transport { get; }
    public WorkerOptions Options { get; }
    public TimelineRecorder Timeline { get; } = new();
    public RecordWriter Records { get; }
    public EventWorker Worker { get; }

    public static WorkerOptions FastOptions() => new()
    {
        Prefetch = 4,
        MaxAttempts = 4,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryAfter = TimeSpan.FromSeconds(2),
        DrainTimeout = TimeSpan.FromSeconds(10),
    };

    public Task StartAsync() => Worker.StartAsync(CancellationToken.None);

    public Task StopAsync() => Worker.StopAsync(CancellationToken.None);

    public async ValueTask DisposeAsync() => await Worker.StopAsync(CancellationToken.None);
}

/// <summary>A message as the tap saw it on an exchange.</summary>
public sealed record TappedMessage(string Exchange, string RoutingKey, string? MessageId, string? ContentType, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>A queue bound with <c>#</c> to the event exchanges: sees everything published there, in order.</summary>
public sealed class ExchangeTap : IAsyncDisposable
{
    private readonly ConcurrentQueue<TappedMessage> _messages = new();
    private ISubscription? _subscription;

    public IReadOnlyList<TappedMessage> Messages => _messages.ToArray();

    public static async Task<ExchangeTap> StartAsync(IMessageTransport transport, params string[] exchanges)
    {
        var queue = "test.tap." + Guid.NewGuid().ToString("N")[..8];
        var tap = new ExchangeTap();
        await transport.DeclareAsync(new TopologyDefinition(
            exchanges.Select(e => new ExchangeDefinition(e)).ToArray(),
            [new QueueDefinition(queue, new Dictionary<string, object>(), Durable: false)],
            exchanges.Select(e => new BindingDefinition(e, queue, "#")).ToArray()), CancellationToken.None);
        tap._subscription = await transport.SubscribeAsync(queue, 50, async (delivery, _) =>
        {
            tap._messages.Enqueue(new TappedMessage(delivery.Exchange, delivery.RoutingKey, delivery.Message.MessageId, delivery.Message.ContentType,
                Encoding.UTF8.GetString(delivery.Message.Body.Span), delivery.Message.HeadersOrEmpty));
            await delivery.AckAsync();
        }, CancellationToken.None);
        return tap;
    }

    public static Task<ExchangeTap> StartAsync(IMessageTransport transport) =>
        StartAsync(transport, Destinations.CollectorExchange, Destinations.MesTopic);

    public IReadOnlyList<TappedMessage> OfType(string routingKey) => Messages.Where(m => m.RoutingKey == routingKey).ToArray();

    public async Task WaitForAsync(Func<IReadOnlyList<TappedMessage>, bool> condition, TimeSpan timeout, string description)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Messages))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout} waiting for {description}. Seen: " +
                    string.Join(", ", Messages.Select(m => $"{m.RoutingKey}/{m.MessageId}")));
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_subscription is not null) await _subscription.StopAsync(TimeSpan.FromSeconds(5));
    }
}
