using System.Text;
using System.Text.Json.Nodes;
using EventProcessors.FunctionApp.Audit;
using Azure;
using Azure.Data.Tables;
using Confluent.Kafka;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Tests.Harness;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The event store's audit functions: what the host indexes (functions.metadata) and what one invocation stores, over the
/// services Program.cs registers (tables in memory); the dead-letter copy under the RabbitMQ trigger's rules on a real broker.
/// </summary>
public sealed class AuditFunctionTests(RabbitMqFixture broker, AzuriteFixture storage) : IClassFixture<RabbitMqFixture>, IClassFixture<AzuriteFixture>
{
    public static readonly string[] Names = ["AuditCollectorEvents", "AuditDeadLetters", "AuditMesEvents", "AuditMesDeadLetters", "SweepEventStore"];

    private static readonly Dictionary<string, JsonObject> Metadata = JsonNode.Parse(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray()
        .Select(f => f!.AsObject())
        .ToDictionary(f => (string)f["name"]!);

    private static JsonObject[] Bindings(string function) => Metadata[function]["bindings"]!.AsArray().Select(b => b!.AsObject()).ToArray();

    [Fact]
    public void Each_bus_has_an_audit_function_with_its_own_queue_or_consumer_group_and_the_SQL_copy_as_output()
    {
        var collector = Bindings("AuditCollectorEvents");
        var trigger = Assert.Single(collector, b => (string?)b["direction"] == "In");
        Assert.Equal(("rabbitMQTrigger", "audit.collector-events"), ((string?)trigger["type"], (string?)trigger["queueName"]));
        var sql = Assert.Single(collector, b => (string?)b["direction"] == "Out");
        Assert.Equal(("sql", "dbo.Events", "SqlConnectionString"), ((string?)sql["type"], (string?)sql["commandText"], (string?)sql["connectionStringSetting"]));

        var mes = Bindings("AuditMesEvents");
        trigger = Assert.Single(mes, b => (string?)b["direction"] == "In");
        Assert.Equal(("kafkaTrigger", "mes-events", "audit.mes-events"), ((string?)trigger["type"], (string?)trigger["topic"], (string?)trigger["consumerGroup"]));
        Assert.Equal([("sql", "dbo.Events"), ("kafka", "mes-events.dead-letter")],
            mes.Where(b => (string?)b["direction"] == "Out").Select(b => ((string?)b["type"], (string?)(b["commandText"] ?? b["topic"]))).OrderByDescending(b => b.Item1));
        Assert.Equal(8, (int)Metadata["AuditMesEvents"]["retry"]!["maxRetryCount"]!); // the MES functions' retry

        var sweep = Assert.Single(Bindings("SweepEventStore"));
        Assert.Equal(("timerTrigger", "0 30 * * * *"), ((string?)sweep["type"], (string?)sweep["schedule"]));

        trigger = Assert.Single(Bindings("AuditDeadLetters"));
        Assert.Equal(("rabbitMQTrigger", "audit.dead-letters"), ((string?)trigger["type"], (string?)trigger["queueName"]));

        var deadLetters = Bindings("AuditMesDeadLetters");
        trigger = Assert.Single(deadLetters);
        Assert.Equal(("kafkaTrigger", "mes-events.dead-letter", "audit.mes-events.dead-letter"), ((string?)trigger["type"], (string?)trigger["topic"], (string?)trigger["consumerGroup"]));
    }

    [Fact]
    public async Task A_Collector_event_is_stored_once_and_its_row_is_the_same_for_every_copy()
    {
        using var services = FunctionHost.Services();
        var function = services.Function<AuditCollectorEventsFunction>();
        var tenant = FunctionHost.NewTenant();
        var body = $$$"""{"type":"order.created","timestamp":"2026-01-15T10:30:00Z","tenantId":"{{{tenant}}}","source":"orders-service","correlationId":"corr-a","data":{"orderId":"o-1"}}""";
        var data = FunctionHost.RabbitMQBindingData(messageId: null);
        data["RoutingKey"] = "order.created";

        var first = Assert.Single((await function.RunAsync(body, FunctionHost.Context(data))).Events!);
        var again = Assert.Single((await function.RunAsync(body, FunctionHost.Context(data))).Events!);

        Assert.Equal(FunctionHost.Snapshot(first), FunctionHost.Snapshot(again));
        Assert.Equal((tenant, "orders-service", "order.created", "corr-a", "collector-events", "order.created"),
            (first.TenantId, first.Source, first.Type, first.CorrelationId, first.Destination, first.RoutingKey));
        var store = services.GetRequiredService<IEventStore>();
        var stored = Assert.Single((await store.QueryAsync(new EventQuery { Tenant = tenant, CorrelationId = "corr-a" })).Events);
        Assert.Equal((first.EventId, 2), (stored.Id, stored.Seen));
    }

    [Fact]
    public async Task An_MES_record_keeps_its_partition_offset_and_key_and_its_dead_letter_joins_the_flow()
    {
        using var services = FunctionHost.Services();
        var value = """{"type":"work-order.completed","meta":{"eventId":"evt-9","source":"mes.work-order-service","correlationId":"corr-m","timestamp":"2026-01-15T10:30:00Z"},"data":{"workOrderId":"wo-1"}}""";
        var record = new KafkaRecord { Topic = "mes-events", Partition = 4, Offset = 1234, Key = Encoding.UTF8.GetBytes("wo-1"), Value = Encoding.UTF8.GetBytes(value), Headers = [] };

        var row = Assert.Single((await services.Function<AuditMesEventsFunction>().RunAsync(record, FunctionHost.Context())).Events!);
        Assert.Equal(("default", "evt-9", "mes", "mes-events", 4, 1234L, "wo-1"),
            (row.TenantId, row.EventId, row.Bus, row.Destination, row.KafkaPartition, row.KafkaOffset, row.Entity));

        var deadLetter = new JsonObject
        {
            ["reason"] = new JsonObject { ["code"] = "InvalidValue", ["message"] = "no such part" },
            ["consumer"] = "CreateInspection", ["consumerGroup"] = "quality.create-inspection", ["attempts"] = 1,
            ["original"] = new JsonObject { ["topic"] = "mes-events", ["partition"] = 4, ["offset"] = 1234, ["key"] = "wo-1", ["headers"] = new JsonObject(), ["value"] = value, ["valueEncoding"] = "utf-8" },
        }.ToJsonString();
        await services.Function<AuditMesDeadLettersFunction>().RunAsync(
            new KafkaRecord { Topic = "mes-events.dead-letter", Partition = 0, Offset = 7, Key = Encoding.UTF8.GetBytes("wo-1"), Value = Encoding.UTF8.GetBytes(deadLetter), Headers = [] },
            FunctionHost.Context());

        var flow = await services.GetRequiredService<EventTracer>().TraceAsync("default", "corr-m");
        var node = Assert.Single(flow.Roots);
        var inspection = Assert.Single(node.Consumers, c => c.Consumer == "CreateInspection");
        Assert.Equal(ConsumerState.DeadLettered, inspection.State);
        Assert.Equal("InvalidValue: no such part", inspection.Reason);
        Assert.All(node.Consumers.Where(c => c.Consumer != "CreateInspection"), c => Assert.Equal(ConsumerState.Pending, c.State));
    }

    [Fact]
    public async Task Collector_dead_letters_the_functions_write_and_the_broker_makes_are_audited_from_a_copy_and_stay_in_their_dead_letter_queue()
    {
        await using var vhost = await broker.CreateVirtualHostAsync("fa-audit");
        await Topology.DeclareAsync(vhost.Uri);
        var sql = new SqlOutputStandIn();
        await using var services = HarnessHost.Services(storage.ConnectionString, HarnessHost.NewTablePrefix(), vhost.Uri);
        // The action and the audit functions as two host instances, so that only the action's SQL output can be made to fail.
        await using var action = await RabbitMQTriggerHarness.StartAsync(vhost.Uri, services, sql, prefetchCount: 16, "CreateOrderFromOffer");
        await using var audit = await RabbitMQTriggerHarness.StartAsync(vhost.Uri, services, new SqlOutputStandIn(), prefetchCount: 16, "AuditCollectorEvents", "AuditDeadLetters");
        var (invalidTenant, rejectedTenant) = (FunctionHost.NewTenant(), FunctionHost.NewTenant());
        var queue = Consumers.CreateOrderFromOffer.Queue;

        // One offer the function dead-letters itself (its total is no amount), one whose SQL output keeps failing until the trigger rejects it.
        var invalid = CollectorEvents.OfferApproved(invalidTenant).Replace("\"grandTotal\":\"1500.00\"", "\"grandTotal\":\"fifteen hundred\"", StringComparison.Ordinal);
        await Topology.PublishAsync(vhost.Uri, Destinations.CollectorExchange, "offer.approved", invalid,
            new BasicProperties { MessageId = "offer-invalid", ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent });
        var tracer = services.GetRequiredService<EventTracer>();
        var invalidOutcome = await DeadLetteredAsync(tracer, invalidTenant);
        Assert.Contains("at $.data.grandTotal", invalidOutcome.Reason, StringComparison.Ordinal);

        sql.Fail();
        await Topology.PublishAsync(vhost.Uri, Destinations.CollectorExchange, "offer.approved", CollectorEvents.OfferApproved(rejectedTenant),
            new BasicProperties { MessageId = "offer-rejected", ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent });
        var rejectedOutcome = await DeadLetteredAsync(tracer, rejectedTenant);
        Assert.Contains(queue, rejectedOutcome.Reason, StringComparison.Ordinal);

        // The operator's dead-letter queue still holds both: the audit read a copy, not the queue.
        Assert.Equal(2u, await Topology.CountAsync(vhost.Uri, Destinations.DeadLetterQueue(queue)));
        Assert.Equal(0u, await Topology.CountAsync(vhost.Uri, Destinations.AuditDeadLetters));
        Assert.Equal(2, audit.Invocations.Count(i => i is { Function: "AuditDeadLetters", Succeeded: true }));
    }

    private static async Task<ConsumerOutcome> DeadLetteredAsync(EventTracer tracer, string tenant, string correlation = "corr-123")
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var flow = await tracer.TraceAsync(tenant, correlation);
            var outcome = flow.Nodes.SelectMany(n => n.Consumers).FirstOrDefault(c => c is { Consumer: "CreateOrderFromOffer", State: ConsumerState.DeadLettered });
            if (outcome is not null) return outcome;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{correlation}: no dead letter of CreateOrderFromOffer in the trace ({flow.Nodes.Count()} event(s), {flow.UnmatchedDeadLetters.Count} unmatched dead letter(s)).");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task An_MES_record_is_never_committed_past_while_the_store_is_down_longer_than_the_retries_and_is_stored_once_when_it_answers()
    {
        using var kafka = KafkaMockCluster.StartMock(brokers: 1);
        kafka.CreateTopic(Destinations.MesTopic, 2);
        kafka.CreateTopic(Destinations.MesDeadLetterTopic, 1);
        var outage = new OutageTables();
        var sql = new SqlOutputStandIn();
        await using var services = AuditServices(outage, new Dictionary<string, string?> { ["FunctionApp:KafkaHoldLimit"] = "00:00:00.300" });
        var tenant = FunctionHost.NewTenant();
        await ProduceAsync(kafka, tenant, "wo-1", "wo-2", "wo-3");
        outage.Down = true;

        await using var host = new KafkaTriggerHarness(kafka.BootstrapServers, services, sql, "AuditMesEvents", KafkaHostOptions.FromHostJson());
        // The outage outlasts two whole deliveries of a record (its first attempt and the eight retries of each): nothing is committed past it.
        await WaitForAsync(() => host.Invocations.Count(i => !i.Succeeded) >= 2 * 9, "two failed deliveries");
        Assert.All(host.Committed(Destinations.MesTopic, 2), offset => Assert.True(offset < 0, $"committed {offset} during the outage"));
        Assert.Empty(host.Skipped);

        outage.Down = false;
        await WaitForAsync(() => host.Committed(Destinations.MesTopic, 2).Where(o => o > 0).Sum() == 3, "every offset committed");
        Assert.Empty(host.Skipped);
        Assert.Equal(3, sql.Rows("dbo.Events").Count);
        var stored = (await services.GetRequiredService<IEventStore>().QueryAsync(new EventQuery { Tenant = tenant })).Events;
        Assert.Equal(["evt-wo-1", "evt-wo-2", "evt-wo-3"], stored.Select(e => e.Id).Order());
        Assert.All(stored, e => Assert.Equal(1, e.Seen));
        Assert.Empty(KafkaRecords(kafka, Destinations.MesDeadLetterTopic));
    }

    [Fact]
    public async Task An_MES_record_whose_SQL_copy_keeps_failing_is_stored_and_dead_lettered_instead_of_blocking_or_being_skipped()
    {
        using var kafka = KafkaMockCluster.StartMock(brokers: 1);
        kafka.CreateTopic(Destinations.MesTopic, 1);
        kafka.CreateTopic(Destinations.MesDeadLetterTopic, 1);
        var sql = new SqlOutputStandIn();
        await using var services = AuditServices(new OutageTables(), new Dictionary<string, string?> { ["FunctionApp:KafkaOutputDeliveries"] = "1" });
        var tenant = FunctionHost.NewTenant();
        await ProduceAsync(kafka, tenant, "wo-stuck", "wo-next");
        sql.Fail();

        await using var host = new KafkaTriggerHarness(kafka.BootstrapServers, services, sql, "AuditMesEvents", KafkaHostOptions.FromHostJson());
        await WaitForAsync(() => KafkaRecords(kafka, Destinations.MesDeadLetterTopic).Count == 2, "both dead letters");
        await WaitForAsync(() => host.Committed(Destinations.MesTopic, 1).Single() == 2, "both offsets committed");

        Assert.Empty(host.Skipped);
        var letters = KafkaRecords(kafka, Destinations.MesDeadLetterTopic).Select(r => JsonNode.Parse(r)!).ToArray();
        Assert.All(letters, l => Assert.Equal(("OutputFailed", "AuditMesEvents", "audit.mes-events"),
            ((string?)l["reason"]!["code"], (string?)l["consumer"], (string?)l["consumerGroup"])));
        var stored = (await services.GetRequiredService<IEventStore>().QueryAsync(new EventQuery { Tenant = tenant })).Events;
        Assert.Equal(["evt-wo-next", "evt-wo-stuck"], stored.Select(e => e.Id).Order());
    }

    private ServiceProvider AuditServices(OutageTables outage, Dictionary<string, string?> settings) =>
        HarnessHost.Services(storage.ConnectionString, HarnessHost.NewTablePrefix(), broker.BaseUri, s => s.Replace(ServiceDescriptor.Singleton<IEventStore>(sp =>
            new TableEventStore(outage.Over(sp.GetRequiredService<ITableServiceClient>()), sp.GetRequiredService<IOptions<EventStoreOptions>>(), TimeProvider.System))),
            settings);

    private static async Task ProduceAsync(KafkaMockCluster kafka, string tenant, params string[] workOrders)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, Acks = Acks.All }).Build();
        foreach (var workOrder in workOrders)
            await producer.ProduceAsync(Destinations.MesTopic, new Message<string, string>
            {
                Key = workOrder,
                Value = MesEvents.MesEnvelope(EventTypes.Mes.WorkOrderCreated, tenant, MesEvents.WorkOrderCreated(workOrder, "WO-" + workOrder), "evt-" + workOrder),
            });
    }

    private static IReadOnlyList<string> KafkaRecords(KafkaMockCluster kafka, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "reader-" + Guid.NewGuid().ToString("N") }).Build();
        var partition = new TopicPartition(topic, 0);
        var end = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
        var values = new List<string>();
        if (end == 0) return values;
        consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
        while (values.Count < end && consumer.Consume(TimeSpan.FromSeconds(10)) is { } record) values.Add(record.Message.Value);
        return values;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No {what} within 90 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The event store's tables answering 503 while <see cref="Down"/>, as Table Storage does in an outage. A stand-in: Azurite can be
    /// paused or stopped but not made to answer an outage status on demand, and only the audit's store may fail here.
    /// </summary>
    private sealed class OutageTables
    {
        public volatile bool Down;

        public ITableServiceClient Over(ITableServiceClient inner) => new Service(this, inner);

        private sealed class Service(OutageTables outage, ITableServiceClient inner) : ITableServiceClient
        {
            public ITableClient GetTableClient(string tableName) => new Client(outage, inner.GetTableClient(tableName));
        }

        private sealed class Client(OutageTables outage, ITableClient inner) : DelegatingTableClient(inner)
        {
            public override Task<TableEntity?> GetEntityAsync(string partitionKey, string rowKey, CancellationToken cancellationToken = default) =>
                Gate(() => base.GetEntityAsync(partitionKey, rowKey, cancellationToken));

            public override Task<ETag> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default) =>
                Gate(() => base.AddEntityAsync(entity, cancellationToken));

            public override Task<ETag> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
                Gate(() => base.UpsertEntityAsync(entity, mode, cancellationToken));

            public override Task<ETag> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken = default) =>
                Gate(() => base.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken));

            private Task<T> Gate<T>(Func<Task<T>> call) => outage.Down ? Task.FromException<T>(new RequestFailedException(503, "Server Busy (outage stand-in)")) : call();
        }
    }
}
