using System.Text.Json;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

/// <summary>The CLI with <c>--kafka</c>: the demo's flows with MES on Kafka, the Kafka topics export, the RabbitMQ topology without MES.</summary>
public sealed class KafkaCliTests
{
    [Fact]
    public async Task Demo_with_kafka_runs_every_scenario_with_the_MES_flows_on_kafka_and_both_recall_queries()
    {
        using var cluster = KafkaMockCluster.StartMock(brokers: 1);
        cluster.CreateTopic(Destinations.MesTopic, 4);
        cluster.CreateTopic(Destinations.MesDeadLetterTopic, 1);

        var (exit, text, errors) = await CliRun.RunAsync("demo", "--kafka", cluster.BootstrapServers);

        Assert.True(exit == 0, text + errors);
        Assert.Contains("over kafka+inmemory transport", text);
        Assert.Contains("recall forward: lot", text);
        Assert.Contains("recall backward: serial", text);
        Assert.DoesNotContain("missing:", text);

        // The MES flows went over the topic: work-order.created in, quality.ncr.created and genealogy updates out; Collector's did not.
        var types = KafkaTestBed.Read(cluster, Destinations.MesTopic)
            .Select(r => JsonDocument.Parse(r.Message.Value).RootElement.TryGetProperty("type", out var t) ? t.GetString() : null)
            .ToHashSet();
        Assert.Contains(EventProcessors.Contracts.EventTypes.Mes.WorkOrderCreated, types);
        Assert.Contains(EventProcessors.Contracts.EventTypes.Mes.QualityNcrCreated, types);
        Assert.Contains(EventProcessors.Contracts.EventTypes.Mes.TraceabilityLotGenealogyUpdated, types);
        Assert.DoesNotContain(EventProcessors.Contracts.EventTypes.Collector.OrderCreated, types);
    }

    [Fact]
    public async Task Topology_export_writes_the_checked_in_kafka_topics()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"kafka-{Guid.NewGuid():N}");
        var (exit, _, _) = await CliRun.RunAsync("topology", "export", "--kafka-output", folder, "-o", Path.Combine(folder, "definitions.json"));
        Assert.Equal(0, exit);
        Assert.Equal(RepositoryFiles.Read("infra/kafka/topics.json"), await File.ReadAllTextAsync(Path.Combine(folder, "topics.json")));
        Assert.Equal(RepositoryFiles.Read("infra/kafka/create-topics.sh"), await File.ReadAllTextAsync(Path.Combine(folder, "create-topics.sh")));

        using var topics = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "topics.json")));
        var mes = topics.RootElement.GetProperty("topics")[0];
        Assert.Equal(Destinations.MesTopic, mes.GetProperty("name").GetString());
        Assert.Equal("delete", mes.GetProperty("configs").GetProperty("cleanup.policy").GetString());
        Assert.Equal(Consumers.All.Where(c => c.Bus == EventBus.Mes).Select(c => c.Queue),
            mes.GetProperty("consumerGroups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(Destinations.MesDeadLetterTopic, topics.RootElement.GetProperty("topics")[1].GetProperty("name").GetString());
    }

    [Fact]
    public void With_MES_on_kafka_the_queue_broker_has_no_mes_events_exchange_and_no_MES_queue()
    {
        var full = TopologyDefinition.For();
        var rest = MesOnKafkaTransport.QueueSide(full);

        Assert.DoesNotContain(rest.Exchanges, e => e.Name == Destinations.MesTopic);
        Assert.DoesNotContain(rest.Bindings, b => b.Exchange == Destinations.MesTopic);
        foreach (var consumer in Consumers.All)
        {
            var kept = rest.Queues.Any(q => q.Name == consumer.Queue) && rest.Queues.Any(q => q.Name == Destinations.DeadLetterQueue(consumer.Queue));
            Assert.Equal(consumer.Bus == EventBus.Collector, kept);
        }
        Assert.Contains(rest.Queues, q => q.Name == Destinations.CollectorOutbox);
        Assert.Equal(full.Bindings.Count(b => b.Exchange == Destinations.CollectorExchange), rest.Bindings.Count(b => b.Exchange == Destinations.CollectorExchange));
    }

    [Fact]
    public async Task Dead_letters_with_kafka_read_the_dead_letter_topic_and_refuse_an_unknown_group()
    {
        using var cluster = KafkaMockCluster.StartMock(brokers: 1);
        cluster.CreateTopic(Destinations.MesTopic, 1);
        cluster.CreateTopic(Destinations.MesDeadLetterTopic, 1);

        var (exit, text, _) = await CliRun.RunAsync("dead-letters", "list", "--kafka", cluster.BootstrapServers);
        Assert.Equal(0, exit);
        Assert.Contains("no dead letters", text);

        (exit, text, _) = await CliRun.RunAsync("dead-letters", "replay", "--kafka", cluster.BootstrapServers, "--queue", "quality.nothing");
        Assert.Equal(2, exit);
        Assert.Contains("quality.nothing", text);
    }
}
