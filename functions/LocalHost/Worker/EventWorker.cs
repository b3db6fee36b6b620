using EventProcessors.LocalHost.Records;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Worker;

/// <summary>
/// The self-hosted worker: declares the topology (idempotently), then runs one <see cref="ActionWorker"/> per consumer
/// action, and RouteOutbox for the Function App's outbox queue. Stopping drains: consumers stop taking deliveries, in-flight ones finish (up to
/// <see cref="WorkerOptions.DrainTimeout"/>), and whatever is left unsettled goes back to its queue.
/// </summary>
public sealed class EventWorker : IHostedService, IAsyncDisposable
{
    private readonly IReadOnlyList<ActionWorker> _workers;
    private readonly OutboxRouter? _outbox;
    private readonly IMessageTransport _transport;
    private readonly WorkerOptions _options;
    private readonly ILogger<EventWorker> _logger;
    private readonly List<ISubscription> _subscriptions = [];
    private int _started;
    private int _stopped;

    public EventWorker(IEnumerable<IConsumerAction> actions, EventPipeline pipeline, IMessageTransport transport, RecordWriter records,
        IEnumerable<ITimelineObserver> observers, IOptions<WorkerOptions> options, TimeProvider time, ILogger<EventWorker> logger)
    {
        _transport = transport;
        _options = options.Value;
        _logger = logger;
        var observer = new CompositeTimelineObserver(observers);
        Gate = new OutageGate(_options, time, logger);
        _workers = actions
            .OrderBy(a => a.Definition.Queue, StringComparer.Ordinal)
            .Select(a => new ActionWorker(a, pipeline, transport, records, observer, Gate, _options, time, logger))
            .ToArray();
        if (_options.RouteOutbox) _outbox = new OutboxRouter(transport, observer, _options, time, logger);
    }

    public IReadOnlyList<ActionWorker> Workers => _workers;

    /// <summary>Holds every consumer's deliveries while the store or broker is unreachable (one store, one broker: one gate).</summary>
    public OutageGate Gate { get; }

    /// <summary>The topology this worker declares: every action it runs, plus the Function App's outbox queue.</summary>
    public TopologyDefinition Topology => TopologyDefinition.For(_workers.Select(w => w.Consumer), _options.DeliveryLimit);

    /// <summary>The topology is declared and every consumer started, and the worker is not stopping (readiness).</summary>
    public bool IsRunning => Volatile.Read(ref _started) == 1 && Volatile.Read(ref _stopped) == 0;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.DeclareTopology) await _transport.DeclareAsync(Topology, cancellationToken).ConfigureAwait(false);
        foreach (var worker in _workers)
        {
            var subscription = await worker.StartAsync(cancellationToken).ConfigureAwait(false);
            lock (_subscriptions) _subscriptions.Add(subscription);
        }
        if (_outbox is not null)
        {
            var subscription = await _outbox.StartAsync(cancellationToken).ConfigureAwait(false);
            lock (_subscriptions) _subscriptions.Add(subscription);
        }
        Volatile.Write(ref _started, 1);
        _logger.LogInformation("Worker consuming {Count} queues over {Transport} (prefetch {Prefetch}, {Attempts} attempts)",
            _workers.Count, _transport.Name, _options.Prefetch, _options.MaxAttempts);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        ISubscription[] subscriptions;
        lock (_subscriptions) subscriptions = _subscriptions.ToArray();
        await Task.WhenAll(subscriptions.Select(s => s.StopAsync(_options.DrainTimeout))).ConfigureAwait(false);
        _logger.LogInformation("Worker stopped; in-flight deliveries drained.");
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
