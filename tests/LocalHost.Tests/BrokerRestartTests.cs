using Azure.Data.Tables;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

/// <summary>RabbitMQ stops and starts while events are flowing: every event still has its effect exactly once.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class BrokerRestartTests(RabbitMqFixture rabbit, AzuriteFixture azurite) : IAsyncLifetime
{
    private const int Events = 40;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private RabbitVirtualHost? _vhost;

    private readonly ITableServiceClient _tables = TableServiceClientFactory.Create(new TableStorageOptions
    {
        ConnectionString = azurite.ConnectionString,
        TableNamePrefix = "r" + Guid.NewGuid().ToString("N")[..10],
    });

    public async Task InitializeAsync() => _vhost = await rabbit.CreateVirtualHostAsync("restart");

    public async Task DisposeAsync()
    {
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    [Fact]
    public async Task A_broker_restart_mid_stream_loses_nothing_and_doubles_nothing()
    {
        var options = new RabbitMqOptions { Uri = _vhost!.Uri, NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500), ConnectTimeout = TimeSpan.FromSeconds(30) };
        await using var transport = await RabbitMqTransport.ConnectAsync(options);
        await using var publisher = await RabbitMqTransport.ConnectAsync(options);
        var action = new ProbeAction(async (_, _, ct) => await Task.Delay(15, ct));
        var processing = new ProcessingOptions { IdempotencyTableName = "Idem" + Guid.NewGuid().ToString("N")[..12] };
        await using var worker = new WorkerHarness(transport, _tables, [action], processing);
        await worker.StartAsync();
        // The observer queue must outlive the restart too: durable, on the same exchange.
        await transport.DeclareAsync(new TopologyDefinition([new ExchangeDefinition(Destinations.CollectorExchange)],
            [new QueueDefinition("test.observer", new Dictionary<string, object> { ["x-queue-type"] = "quorum" })],
            [new BindingDefinition(Destinations.CollectorExchange, "test.observer", EventTypes.Collector.StockReserved)]), CancellationToken.None);

        var restarted = false;
        for (var i = 0; i < Events; i++)
        {
            await PublishUntilConfirmedAsync(publisher, CollectorEvents.OrderCreated($"ORD-R{i:D3}", $"order-r{i:D3}"));
            if (i == Events / 3)
            {
                await worker.Timeline.WaitForAsync(t => t.Any(e => e.Kind == TimelineKind.Completed), Timeout, "work under way before the restart");
                await rabbit.RestartBrokerAsync(TimeSpan.FromSeconds(1));
                restarted = true;
            }
        }
        Assert.True(restarted);

        // Every event reaches its effect: one row per order, one distinct follow-on per order on the exchange.
        var deadline = DateTime.UtcNow + Timeout;
        IReadOnlyList<TableEntity> rows = [];
        while (DateTime.UtcNow < deadline)
        {
            rows = await ReadRowsAsync(worker);
            if (rows.Count >= Events) break;
            await Task.Delay(200);
        }
        Assert.Equal(Events, rows.Count);
        Assert.Equal(Events, rows.Select(r => r.PartitionKey).Distinct().Count());

        var followOns = await DrainObserverAsync(publisher, deadline);
        Assert.Equal(Events, followOns.Distinct().Count());
        await worker.StopAsync();
        Assert.Equal(0u, await publisher.CountAsync(Consumers.ReserveStock.Queue, CancellationToken.None));
        Assert.Equal(0u, await publisher.CountAsync(Destinations.DeadLetterQueue(Consumers.ReserveStock.Queue), CancellationToken.None));
        // The action may run again only where a restart cut it off before its outcome was recorded; the rows say once.
        Assert.InRange(action.Runs, Events, Events + 8);
    }

    private static async Task<IReadOnlyList<TableEntity>> ReadRowsAsync(WorkerHarness worker)
    {
        try
        {
            return await worker.Records.ReadAllAsync("ProbeReservations");
        }
        catch (Azure.RequestFailedException)
        {
            return [];
        }
    }

    /// <summary>Publishes with confirms, retrying while the broker is away (as a producer with an outbox would).</summary>
    private static async Task PublishUntilConfirmedAsync(IMessageTransport publisher, byte[] body)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            try
            {
                await publisher.PublishAsync(Destinations.CollectorExchange, EventTypes.Collector.OrderCreated, new OutboundMessage(body, "application/json"), CancellationToken.None);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Every message id on the observer queue (follow-ons may repeat: duplicates republish the same ids).</summary>
    private static async Task<List<string>> DrainObserverAsync(IMessageTransport transport, DateTime deadline)
    {
        var ids = new List<string>();
        while (DateTime.UtcNow < deadline && ids.Distinct().Count() < Events)
        {
            try
            {
                await using var batch = await transport.GetAsync("test.observer", 100, CancellationToken.None);
                foreach (var delivery in batch.Deliveries)
                {
                    ids.Add(delivery.Message.MessageId!);
                    await delivery.AckAsync();
                }
                if (batch.Deliveries.Count == 0) await Task.Delay(100);
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
        return ids;
    }
}
