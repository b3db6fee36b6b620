using System.Text.Json.Nodes;
using EventProcessors.LocalHost.Demo;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// The audit of <c>mes-events</c> when MES runs on Kafka in the worker (<c>serve --kafka</c>): the demo's production run and a
/// poison work order over librdkafka's mock cluster, Collector over the in-memory broker or RabbitMQ, the store on Azurite tables
/// or PostgreSQL; then <c>events trace</c> from another process reads the flow back.
/// </summary>
[Collection(EventStoreCollection.Name)]
public sealed class EventStoreKafkaFlowTests(RabbitMqFixture rabbit, AzuriteFixture azurite, PostgresFixture postgres)
{
    [Theory]
    [InlineData("tables", false)]
    [InlineData("postgres", true)]
    public async Task Every_MES_event_and_follow_on_on_kafka_is_stored_once_with_its_partition_and_offset_and_events_trace_shows_the_flow(string events, bool rabbitMq)
    {
        using var kafka = KafkaMockCluster.StartMock(brokers: 1);
        kafka.CreateTopic(Destinations.MesTopic, 4);
        kafka.CreateTopic(Destinations.MesDeadLetterTopic, 1);
        await using var vhost = rabbitMq ? await rabbit.CreateVirtualHostAsync("events-kafka") : null;
        var settings = new Dictionary<string, string?>
        {
            [LocalHostSettingNames.Transport] = rabbitMq ? "rabbitmq" : "inmemory",
            [SettingNames.RabbitMQConnection] = vhost?.Uri.ToString(),
            [SettingNames.KafkaBrokers] = kafka.BootstrapServers,
            [SettingNames.TableStorage] = azurite.ConnectionString,
            [SettingNames.TableNamePrefix] = "k" + Guid.NewGuid().ToString("N")[..10],
            ["EventStore:Backend"] = events,
            ["EventStore:PostgresConnection"] = postgres.ConnectionString,
            ["EventStore:PostgresSchema"] = PostgresFixture.UniqueSchema("kafka"),
            ["LocalHost:RetryBaseDelay"] = "00:00:00.010",
        };
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddLocalHost(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        FlowTrace flow, poison;
        string correlation, poisonCorrelation;
        await using (var demo = await DemoContext.StartAsync(host.Services.GetRequiredService<IMessageTransport>(),
            host.Services.GetRequiredService<TimelineRecorder>(), host.Services, TimeProvider.System, CancellationToken.None))
        {
            var notes = new DemoNotes();
            await DemoScenarios.All.Single(s => s.Key == "production").Run(demo, notes);
            Assert.Empty(notes.Missing);
            poisonCorrelation = demo.Correlation("wo-bad");
            await demo.PublishMesAsync(M.WorkOrderCreated, new JsonObject
            {
                ["workOrderId"] = Guid.NewGuid().ToString(), ["workOrderNumber"] = "WO-BAD", ["partId"] = "part-1", ["partNumber"] = "PN-100",
                ["quantity"] = "ten", ["dueDate"] = "2026-12-24T00:00:00Z", ["priority"] = "HIGH", ["createdBy"] = "planner-1",
            }, poisonCorrelation);
            await demo.SettleAsync(TimeSpan.FromSeconds(60));
            correlation = demo.Correlation("wo");
            var tracer = host.Services.GetRequiredService<EventTracer>();
            var onTopic = Records(kafka, correlation).Count;
            flow = await EventStoreFlowTests.EventuallyAsync(() => tracer.TraceAsync(ActionContext.DefaultTenant, correlation),
                f => f.Nodes.Count() == onTopic && f.Nodes.SelectMany(n => n.Consumers).All(c => c.State == ConsumerState.Completed));
            poison = await EventStoreFlowTests.EventuallyAsync(() => tracer.TraceAsync(ActionContext.DefaultTenant, poisonCorrelation),
                f => f.Nodes.Any(n => n.Consumers.Any(c => c.State == ConsumerState.DeadLettered)));
        }
        await host.StopAsync();

        // Each record of the flow on the topic, inputs and follow-ons alike, is one stored event, seen once, found by its partition and offset.
        var records = Records(kafka, correlation);
        Assert.True(records.Count >= 8, $"only {records.Count} records of {correlation} on the topic");
        Assert.Equal(records.Keys.Order(), flow.Nodes.Select(n => n.Event.Id).Order());
        foreach (var node in flow.Nodes)
        {
            var (partition, offset) = records[node.Event.Id];
            Assert.Equal((TransportInfo.MesBus, Destinations.MesTopic, partition, offset, 1),
                (node.Event.Transport.Bus, node.Event.Transport.Destination, node.Event.Transport.Partition, node.Event.Transport.Offset, node.Event.Seen));
        }
        TraceNode Node(string type) => Assert.Single(flow.Nodes, n => n.Event.Type == type);
        Assert.Equal(M.MaterialReserved, Assert.Single(Node(M.WorkOrderCreated).Children).Event.Type);
        Assert.Contains(Node(M.WorkOrderCompleted).Children, c => c.Event.Type == M.QualityInspectionCreated);
        var reserve = Assert.Single(Node(M.WorkOrderCreated).Consumers);
        Assert.Equal(("ReserveMaterial", ConsumerState.Completed), (reserve.Consumer, reserve.State));

        // The poison work order: stored once, and the dead letter the worker wrote to mes-events.dead-letter is its consumer's outcome.
        var bad = Assert.Single(poison.Nodes);
        Assert.Equal(1, bad.Event.Seen);
        var dead = Assert.Single(bad.Consumers);
        Assert.Equal(("ReserveMaterial", ConsumerState.DeadLettered), (dead.Consumer, dead.State));
        Assert.Contains("$.data.quantity", dead.Reason);

        // events trace, as an operator runs it against the same store.
        var file = await EventStoreFlowTests.SettingsFileAsync(settings);
        try
        {
            var (exit, text, errors) = await CliRun.RunAsync("events", "trace", correlation, "--settings", file);
            Assert.True(exit == 0, text + errors);
            Assert.Contains($"{records.Count} event(s)", text);
            Assert.Contains("✓ ReserveMaterial completed", text);
            Assert.Contains("✓ CreateInspection completed", text);
            (exit, text, errors) = await CliRun.RunAsync("events", "trace", poisonCorrelation, "--settings", file);
            Assert.True(exit == 0, text + errors);
            Assert.Contains("✗ ReserveMaterial dead-lettered:", text);
            Assert.Contains("$.data.quantity", text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The records of <paramref name="correlation"/> on the MES topic: event id to partition and offset.</summary>
    private static Dictionary<string, (int Partition, long Offset)> Records(KafkaMockCluster kafka, string correlation)
    {
        var records = new Dictionary<string, (int, long)>();
        foreach (var record in KafkaTestBed.Read(kafka, Destinations.MesTopic))
        {
            var e = new Contracts.EnvelopeReader().Read(new Contracts.InboundMessage(System.Text.Encoding.UTF8.GetBytes(record.Message.Value),
                record.Message.Headers.GroupBy(h => h.Key).ToDictionary(h => h.Key, h => System.Text.Encoding.UTF8.GetString(h.Last().GetValueBytes())))).Value;
            if (e?.CorrelationId == correlation) records[e.Id] = (record.Partition.Value, record.Offset.Value);
        }
        return records;
    }
}
