using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Tests.Harness;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;
using RabbitMQ.Client;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// Both triggers through a two-minute outage of Table Storage: an Azurite of this test's own (<see cref="PrivateAzurite"/>),
/// frozen with SIGSTOP (connections accepted, nothing answered, as a hung storage account) and resumed with SIGCONT. The
/// Collector functions run on the shared RabbitMQ (a virtual host of their own), the MES functions on librdkafka's mock
/// cluster. A class of its own so that its two minutes run beside the other test classes.
/// </summary>
public sealed class StorageOutageTriggerTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_two_minute_storage_outage_dead_letters_nothing_and_loses_nothing_on_either_trigger()
    {
        await using var storage = await PrivateAzurite.StartAsync();
        await using var vhost = await broker.CreateVirtualHostAsync("fa-outage");
        await Topology.DeclareAsync(vhost.Uri);
        using var kafka = KafkaMockCluster.StartMock(1);
        kafka.CreateTopic(Destinations.MesTopic, 3);
        kafka.CreateTopic(Destinations.MesDeadLetterTopic, 1);
        var sql = new SqlOutputStandIn();
        var tenant = FunctionHost.NewTenant();
        // The client gives up on a hung call after 5 s and one retry (30 s and three by default), so the functions meet the
        // outage as failed calls many times over rather than one call that hangs through it.
        await using var services = HarnessHost.Services(storage.ConnectionString, HarnessHost.NewTablePrefix(), vhost.Uri,
            settings: new Dictionary<string, string?> { ["TableStorage:NetworkTimeout"] = "00:00:05", ["TableStorage:MaxRetries"] = "1" });
        await using var collector = await RabbitMQTriggerHarness.StartAsync(vhost.Uri, services, sql, prefetchCount: 16, "CreateOrderFromOffer", "RouteOutbox");
        await using var mes = new KafkaTriggerHarness(kafka.BootstrapServers, services, sql, "ReserveMaterial", KafkaHostOptions.FromHostJson());

        // Before: the chain works.
        await SendAsync(vhost.Uri, kafka, tenant, 0, 2);
        await Eventually.UntilAsync(() => sql.Rows("dbo.Orders").Count == 2 && sql.Rows("dbo.MaterialReservations").Count == 2, "the first orders and reservations", Patience);

        // During: storage hangs for two minutes while offers and work orders keep coming.
        await storage.PauseAsync();
        var outageEnds = DateTime.UtcNow + Outage;
        await SendAsync(vhost.Uri, kafka, tenant, 2, 6);
        await Task.Delay(outageEnds - DateTime.UtcNow);
        // Nothing could be claimed meanwhile: the events arrived and waited.
        Assert.Equal((2, 2), (sql.Rows("dbo.Orders").Count, sql.Rows("dbo.MaterialReservations").Count));
        await storage.ResumeAsync();

        // After: every event handled once, every follow-on there, nothing dead-lettered or skipped.
        try
        {
            await Eventually.UntilAsync(() => sql.Rows("dbo.Orders").Count == 6 && sql.Rows("dbo.MaterialReservations").Count == 6, "every order and reservation", Patience);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} orders {sql.Rows("dbo.Orders").Count}, reservations {string.Join(",", sql.Rows("dbo.MaterialReservations").Values.Select(r => r["WorkOrderId"]))}; " +
                $"queue {await Topology.CountAsync(vhost.Uri, Consumers.CreateOrderFromOffer.Queue)}, retry {await Topology.CountAsync(vhost.Uri, Destinations.RetryQueue(Consumers.CreateOrderFromOffer.Queue))}; " +
                $"collector: {string.Join(" | ", collector.Invocations.TakeLast(12))}; mes: {string.Join(" | ", mes.Invocations.TakeLast(12))}; " +
                $"mes errors: {string.Join(" | ", mes.Invocations.Where(i => i.Error is not null).Select(i => i.Error).Distinct().Take(8))}", e);
        }
        await Eventually.UntilAsync(async () => (await Topology.PeekAsync(vhost.Uri, Consumers.CaptureOrder.Queue)).Select(m => m.Properties.MessageId).Distinct().Count() == 6,
            "an order.created per offer", Patience);
        var reserved = KafkaTriggerHarness.ReadAll(kafka.BootstrapServers, Destinations.MesTopic)
            .Where(m => m.Value.Contains(EventTypes.Mes.MaterialReserved, StringComparison.Ordinal))
            .Select(m => (string)JsonNode.Parse(m.Value)!["id"]!).Distinct().Count();
        Assert.Equal(6, reserved);
        await Topology.AssertNothingDeadLetteredAsync(vhost.Uri);
        Assert.Empty(KafkaTriggerHarness.ReadAll(kafka.BootstrapServers, Destinations.MesDeadLetterTopic));
        Assert.Empty(mes.Skipped);
        Assert.Equal(0u, await Topology.CountAsync(vhost.Uri, Destinations.RetryQueue(Consumers.CreateOrderFromOffer.Queue)));
        // The outage was met: offers were parked in their retry queue while the store did not answer (waits, not attempts),
        // and MES invocations failed and were run again in place.
        Assert.True(collector.Invocations.Count(i => i.Function == "CreateOrderFromOffer") > 6, string.Join(", ", collector.Invocations));
        Assert.Contains(mes.Invocations, i => !i.Succeeded);
    }

    /// <summary>
    /// Offers <paramref name="from"/>..<paramref name="to"/> - 1 to the Collector exchange (a tenant each: the order id derives
    /// from tenant and offer) and as many work orders to the MES topic.
    /// </summary>
    private static async Task SendAsync(Uri vhost, KafkaMockCluster kafka, string tenant, int from, int to)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, Acks = Acks.All }).Build();
        for (var i = from; i < to; i++)
        {
            await Topology.PublishAsync(vhost, Destinations.CollectorExchange, "offer.approved", CollectorEvents.OfferApproved($"{tenant}-{i}", $"OFF-{i}"),
                new BasicProperties { MessageId = $"offer-{i}", ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent });
            var workOrder = $"wo-outage-{i}";
            await producer.ProduceAsync(Destinations.MesTopic, new Message<string, string>
            {
                Key = workOrder,
                Value = MesEvents.MesEnvelope(EventTypes.Mes.WorkOrderCreated, tenant, MesEvents.WorkOrderCreated(workOrder, "WO-" + i), "evt-" + workOrder),
                Headers = new Confluent.Kafka.Headers { { "content-type", Encoding.UTF8.GetBytes(CloudEvent.JsonContentType) } },
            });
        }
    }
}
