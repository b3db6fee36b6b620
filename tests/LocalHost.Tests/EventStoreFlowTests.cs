using System.Text.Json;
using EventProcessors.LocalHost.Demo;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Hosting;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventProcessors.LocalHost.Tests;

[CollectionDefinition(Name)]
public sealed class EventStoreCollection : ICollectionFixture<RabbitMqFixture>, ICollectionFixture<AzuriteFixture>, ICollectionFixture<PostgresFixture>
{
    public const string Name = "EventStore";
}

/// <summary>
/// The event store filled by the worker's audit consumer, as <c>serve</c> builds it, while the demo's order-to-cash scenario
/// runs (a duplicate offer and a poison offer included); then the flow is traced from the store and the idempotency records.
/// Each backend: tables in memory, tables on Azurite, events in PostgreSQL; over the in-memory broker and over RabbitMQ.
/// </summary>
[Collection(EventStoreCollection.Name)]
public sealed class EventStoreFlowTests(RabbitMqFixture rabbit, AzuriteFixture azurite, PostgresFixture postgres)
{
    [Theory]
    [InlineData("inmemory", "tables")]
    [InlineData("azurite", "tables")]
    [InlineData("inmemory", "postgres")]
    [InlineData("azurite", "postgres", true)]
    public async Task An_order_to_cash_flow_is_traced_with_every_consumers_outcome_and_the_poison_offer_dead_lettered_with_its_reason(
        string tables, string events, bool rabbitMq = false)
    {
        await using var vhost = rabbitMq ? await rabbit.CreateVirtualHostAsync("events") : null;
        var settings = Settings(tables, events, vhost?.Uri);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddLocalHost(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        FlowTrace flow, poison;
        string tenant, correlation, poisonCorrelation;
        await using (var demo = await DemoContext.StartAsync(host.Services.GetRequiredService<IMessageTransport>(),
            host.Services.GetRequiredService<TimelineRecorder>(), host.Services, TimeProvider.System, CancellationToken.None))
        {
            var notes = new DemoNotes();
            await DemoScenarios.All.Single(s => s.Key == "order-to-cash").Run(demo, notes);
            await demo.SettleAsync(TimeSpan.FromSeconds(60));
            Assert.Empty(notes.Missing);
            (tenant, correlation, poisonCorrelation) = (demo.Tenant, demo.Correlation("o2c"), demo.Correlation("o2c-bad"));
            var tracer = host.Services.GetRequiredService<EventTracer>();
            // The audit queue is drained alongside the actions' queues; over RabbitMQ it may finish a moment later.
            flow = await EventuallyAsync(() => tracer.TraceAsync(tenant, correlation), f => f.Nodes.Count() == 9 && f.Nodes.SelectMany(n => n.Consumers).All(c => c.State == ConsumerState.Completed));
            poison = await EventuallyAsync(() => tracer.TraceAsync(tenant, poisonCorrelation), f => f.Nodes.Any(n => n.Consumers.Any(c => c.State == ConsumerState.DeadLettered)));
        }
        await host.StopAsync();

        // The causal tree: five events from Collector's services, four follow-ons under the events that caused them.
        Assert.Equal(["offer.approved", "order.confirmed", "delivery.dispatched", "delivery.confirmed", "invoice.paid"], flow.Roots.Select(r => r.Event.Type));
        var byType = flow.Nodes.ToDictionary(n => n.Event.Type);
        Assert.Equal("order.created", Assert.Single(byType["offer.approved"].Children).Event.Type);
        Assert.Equal("stock.reserved", Assert.Single(byType["order.created"].Children).Event.Type);
        Assert.Equal("delivery.note.created", Assert.Single(byType["order.confirmed"].Children).Event.Type);
        Assert.Equal("invoice.issued", Assert.Single(byType["delivery.confirmed"].Children).Event.Type);

        // Every consumer of every event, and how it went.
        var outcomes = flow.Nodes.ToDictionary(n => n.Event.Type, n => n.Consumers.Select(c => (c.Consumer, c.State)).Order().ToArray());
        Assert.Equal([("CreateOrderFromOffer", ConsumerState.Completed)], outcomes["offer.approved"]);
        Assert.Equal([("CaptureOrder", ConsumerState.Completed), ("ReserveStock", ConsumerState.Completed)], outcomes["order.created"]);
        Assert.Equal([("CaptureOrder", ConsumerState.Completed), ("CreateDeliveryNote", ConsumerState.Completed)], outcomes["order.confirmed"]);
        Assert.Equal([("DeductStock", ConsumerState.Completed)], outcomes["delivery.dispatched"]);
        Assert.Equal([("GenerateInvoice", ConsumerState.Completed)], outcomes["delivery.confirmed"]);
        Assert.Equal([("SyncInvoice", ConsumerState.Completed)], outcomes["invoice.issued"]);
        Assert.Equal([("RecordPayment", ConsumerState.Completed)], outcomes["invoice.paid"]);
        Assert.Empty(outcomes["stock.reserved"]);
        Assert.Empty(outcomes["delivery.note.created"]);
        Assert.All(flow.Nodes.SelectMany(n => n.Consumers), c => Assert.True(c.FinishedAt >= c.StartedAt));

        // The offer was sent twice: stored once, its duplicate suppressed, and so was the order.created it replayed.
        var offer = byType["offer.approved"];
        Assert.Equal(2, offer.Event.Seen);
        Assert.Equal(1, Assert.Single(offer.Consumers).DuplicatesSuppressed);
        var created = byType["order.created"].Event;
        Assert.Equal((TransportInfo.CollectorBus, "collector-events", "order.created"), (created.Transport.Bus, created.Transport.Destination, created.Transport.RoutingKey));
        Assert.Equal("/event-processors/orders.create-from-offer", created.Source);
        Assert.Equal(offer.Event.Id, created.CausationId);
        Assert.Equal(tenant, created.Tenant);
        Assert.Equal(JsonDocument.Parse(created.Envelope).RootElement.GetProperty("id").GetString(), created.Id);

        // The poison offer: stored, and its consumer's outcome is the dead letter with the reason it died of.
        var bad = Assert.Single(poison.Nodes);
        var dead = Assert.Single(bad.Consumers);
        Assert.Equal(("CreateOrderFromOffer", ConsumerState.DeadLettered), (dead.Consumer, dead.State));
        Assert.Contains("MistypedField", dead.Reason);
        Assert.Contains("$.data.lineItems[0].quantity", dead.Reason);

        if (tables == "azurite")
        {
            // The operator's view of the same flow, from another process: events trace against the same storage.
            var file = await SettingsFileAsync(settings);
            try
            {
                var (exit, text, errors) = await CliRun.RunAsync("events", "trace", correlation, "--tenant", tenant, "--settings", file);
                Assert.True(exit == 0, text + errors);
                Assert.Contains("9 event(s)", text);
                Assert.Contains("✓ ReserveStock completed", text);
                Assert.Contains("(1 duplicate(s) suppressed)", text);
                (exit, text, errors) = await CliRun.RunAsync("events", "trace", poisonCorrelation, "--tenant", tenant, "--settings", file);
                Assert.True(exit == 0, text + errors);
                Assert.Contains("✗ CreateOrderFromOffer dead-lettered: MistypedField at $.data.lineItems[0].quantity", text);
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    private Dictionary<string, string?> Settings(string tables, string events, Uri? rabbitMq) => new()
    {
        [LocalHostSettingNames.Transport] = rabbitMq is null ? "inmemory" : "rabbitmq",
        [SettingNames.RabbitMQConnection] = rabbitMq?.ToString(),
        [SettingNames.TableStorage] = tables == "azurite" ? azurite.ConnectionString : "inmemory",
        [SettingNames.TableNamePrefix] = tables == "azurite" ? "e" + Guid.NewGuid().ToString("N")[..10] : "",
        ["EventStore:Backend"] = events,
        ["EventStore:PostgresConnection"] = postgres.ConnectionString,
        ["EventStore:PostgresSchema"] = PostgresFixture.UniqueSchema("flow"),
        ["LocalHost:RetryBaseDelay"] = "00:00:00.010",
    };

    /// <summary>A local.settings.json-shaped file of <paramref name="settings"/>, for the CLI's <c>--settings</c> (another process's view).</summary>
    internal static async Task<string> SettingsFileAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var file = Path.Combine(Path.GetTempPath(), $"events-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { Values = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value) }));
        return file;
    }

    internal static async Task<FlowTrace> EventuallyAsync(Func<Task<FlowTrace>> trace, Func<FlowTrace, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var flow = await trace();
            if (done(flow) || DateTime.UtcNow > deadline) return flow;
            await Task.Delay(100);
        }
    }
}
