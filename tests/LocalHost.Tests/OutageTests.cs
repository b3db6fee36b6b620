using System.Diagnostics;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// Issue 11 points 1 and 2 over real RabbitMQ (a fresh virtual host) and an Azurite of the test's own, which is paused
/// with SIGSTOP (the shared one is never touched): a storage outage is waited out without spending attempts, a dead
/// worker's claims are taken over within the short lease, and a live worker's long action keeps its lease.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class OutageTests(RabbitMqFixture rabbit) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly List<IAsyncDisposable> _cleanup = [];
    private RabbitVirtualHost? _vhost;
    private PrivateAzurite? _azurite;

    public async Task InitializeAsync()
    {
        _vhost = await rabbit.CreateVirtualHostAsync("outage");
        _azurite = await PrivateAzurite.StartAsync();
    }

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            try { await _cleanup[i].DisposeAsync(); }
            catch (Exception) { /* best effort */ }
        }
        if (_azurite is not null) await _azurite.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    [Fact]
    public async Task A_storage_outage_longer_than_the_old_failure_window_dead_letters_nothing_and_every_event_takes_effect()
    {
        // Small budgets, so that the old behaviour (an outage spent as attempts) would dead-letter within ~10 s:
        // each claim gives up after two 1 s tries, four attempts per delivery, a delivery limit of 3.
        var options = WorkerHarness.FastOptions();
        options.DeliveryLimit = 3;
        options.OutageProbeInterval = TimeSpan.FromMilliseconds(200);
        options.OutageMaxProbeInterval = TimeSpan.FromSeconds(1);
        options.OutageHoldLimit = TimeSpan.FromSeconds(6); // also puts the held deliveries back as fresh copies once or twice
        var tables = Tables(networkTimeout: TimeSpan.FromSeconds(1));
        var action = new ProbeAction();
        var transport = Track(await Connect());
        var processing = Processing();
        var worker = Track(new WorkerHarness(transport, tables, [action], processing, options));
        await worker.StartAsync();
        var tap = Track(await ExchangeTap.StartAsync(transport));

        await Publish(transport, 0, 5);
        await tap.WaitForAsync(m => m.Count(x => x.RoutingKey == EventTypes.Collector.StockReserved) == 5, Timeout, "the first five before the outage");

        await _azurite!.PauseAsync();
        var outage = Stopwatch.StartNew();
        await Publish(transport, 5, 30);
        await Task.Delay(TimeSpan.FromSeconds(20));
        Assert.True(worker.Worker.Gate.IsOpen, "the worker should be holding its deliveries");
        await _azurite.ResumeAsync();
        outage.Stop();

        try
        {
            await tap.WaitForAsync(m => m.Where(x => x.RoutingKey == EventTypes.Collector.StockReserved).Select(x => x.MessageId).Distinct().Count() == 30,
                Timeout, "a stock.reserved for each of the 30 orders");
        }
        catch (TimeoutException)
        {
            foreach (var e in worker.Timeline.Entries) Console.WriteLine($"[timeline] {e.At:HH:mm:ss.fff} {e.Kind} {e.EventId} {e.Attempt} {e.Detail}");
            Console.WriteLine($"[queues] work {await transport.CountAsync(Consumers.ReserveStock.Queue, CancellationToken.None)} dead {await transport.CountAsync(Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue), CancellationToken.None)}");
            throw;
        }
        await worker.StopAsync();
        Assert.Equal(0u, await transport.CountAsync(Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue), CancellationToken.None));
        Assert.Equal(0u, await transport.CountAsync(Consumers.ReserveStock.Queue, CancellationToken.None));
        Assert.Empty(worker.Timeline.OfKind(TimelineKind.DeadLettered));
        Assert.Equal(30, (await worker.Records.ReadAllAsync("ProbeReservations")).Count);
        Assert.NotEmpty(worker.Timeline.OfKind(TimelineKind.Held));
        Assert.Contains(worker.Timeline.OfKind(TimelineKind.Requeued), e => e.Detail?.Contains("fresh copy", StringComparison.Ordinal) == true);
        Assert.True(outage.Elapsed > TimeSpan.FromSeconds(20));
        Console.WriteLine($"[measure] storage paused {outage.Elapsed.TotalSeconds:0.0} s: 0 dead letters, 30 of 30 effects, {worker.Worker.Gate.Outages} pause(s)");
    }

    [Fact]
    public async Task A_dead_workers_claim_is_taken_over_within_the_short_lease_and_a_live_workers_long_action_keeps_its_lease()
    {
        var processing = Processing();
        processing.LeaseDuration = TimeSpan.FromSeconds(3);
        processing.LeaseRenewalInterval = TimeSpan.FromSeconds(1);
        var tables = Tables(networkTimeout: TimeSpan.FromSeconds(5));

        // A live worker whose action takes four leases, and a rival that receives the same event: the rival waits.
        var slow = new ProbeAction(async (_, run, ct) => { if (run == 1) await Task.Delay(TimeSpan.FromSeconds(12), ct); });
        var one = WorkerHarness.FastOptions();
        one.Prefetch = 1; // so that the second copy goes to the rival
        var live = Track(new WorkerHarness(Track(await Connect()), tables, [slow], processing, one));
        var rival = Track(new WorkerHarness(Track(await Connect()), tables, [slow], processing));
        await live.StartAsync();
        var transport = Track(await Connect());
        var tap = Track(await ExchangeTap.StartAsync(transport));
        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-SLOW", "order-slow"));
        await live.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Received), Timeout, "the live worker to take the event");
        await rival.StartAsync();
        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-SLOW", "order-slow")); // the same event again: the rival gets it
        await tap.WaitForAsync(m => m.Any(x => x.RoutingKey == EventTypes.Collector.StockReserved), Timeout, "the slow event's follow-on");
        await rival.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Duplicate), Timeout, "the rival to see it completed");
        Assert.Equal(1, slow.Runs);

        // A worker killed inside its action: the next worker finishes the event within about one lease.
        var claimed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var doomed = new ProbeAction(async (_, _, _) => { claimed.TrySetResult(); await Task.Delay(System.Threading.Timeout.Infinite); });
        var doomedTransport = (RabbitMqTransport)await Connect();
        var doomedTables = new SeverableTables(tables);
        var dying = new WorkerHarness(doomedTransport, doomedTables, [doomed], processing);
        await live.StopAsync();
        await rival.StopAsync();
        await dying.StartAsync();
        await PublishAsync(transport, CollectorEvents.OrderCreated("ORD-KILL", "order-kill"));
        await claimed.Task.WaitAsync(Timeout);
        await doomedTransport.AbortAsync();
        doomedTables.Sever(); // a killed process renews no lease
        var killed = Stopwatch.StartNew();
        var successor = new ProbeAction();
        var next = Track(new WorkerHarness(Track(await Connect()), tables, [successor], processing));
        await next.StartAsync();
        await next.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Completed), Timeout, "the successor to take over");
        killed.Stop();

        Assert.Equal(1, successor.Runs);
        Assert.True(killed.Elapsed < processing.LeaseDuration + TimeSpan.FromSeconds(3), $"taken over after {killed.Elapsed}");
        Console.WriteLine($"[measure] dead worker's claim taken over after {killed.Elapsed.TotalSeconds:0.0} s (lease {processing.LeaseDuration.TotalSeconds} s)");
    }

    private ProcessingOptions Processing() => new() { IdempotencyTableName = "Idem" + Guid.NewGuid().ToString("N")[..12] };

    private ITableServiceClient Tables(TimeSpan networkTimeout) => TableServiceClientFactory.Create(new TableStorageOptions
    {
        ConnectionString = _azurite!.ConnectionString,
        NetworkTimeout = networkTimeout,
        MaxRetries = 1,
        RetryDelay = TimeSpan.FromMilliseconds(100),
    });

    private async Task<IMessageTransport> Connect() =>
        await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = _vhost!.Uri, ConnectTimeout = TimeSpan.FromSeconds(10) });

    private T Track<T>(T disposable) where T : IAsyncDisposable
    {
        _cleanup.Add(disposable);
        return disposable;
    }

    private static async Task Publish(IMessageTransport transport, int from, int to)
    {
        for (var i = from; i < to; i++) await PublishAsync(transport, CollectorEvents.OrderCreated($"ORD-{i}", $"order-{i}"));
    }

    private static Task PublishAsync(IMessageTransport transport, byte[] body) =>
        transport.PublishAsync(Destinations.CollectorExchange, EventTypes.Collector.OrderCreated, new OutboundMessage(body, "application/json"), CancellationToken.None);
}
