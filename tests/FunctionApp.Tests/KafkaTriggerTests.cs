using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Tests.Harness;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The MES functions under the Kafka trigger's rules (<see cref="KafkaTriggerHarness"/>, host.json as deployed) against
/// librdkafka's mock cluster (a real Kafka wire protocol, in process) and real Table Storage (Azurite).
/// </summary>
public sealed class KafkaTriggerTests(RabbitMqFixture broker, AzuriteFixture storage) : IClassFixture<RabbitMqFixture>, IClassFixture<AzuriteFixture>, IDisposable
{
    private const int Partitions = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly KafkaMockCluster _kafka = KafkaMockCluster.StartMock(1);
    private readonly string _tenant = FunctionHost.NewTenant();
    private readonly SqlOutputStandIn _sql = new();

    public void Dispose() => _kafka.Dispose();

    private ServiceProvider Services(IDictionary<string, string?>? settings = null) =>
        HarnessHost.Services(storage.ConnectionString, HarnessHost.NewTablePrefix(), broker.BaseUri, settings: settings);

    private void CreateTopics()
    {
        _kafka.CreateTopic(Destinations.MesTopic, Partitions);
        _kafka.CreateTopic(Destinations.MesDeadLetterTopic, 1);
    }

    private async Task ProduceAsync(params (string Key, string Value)[] records)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, Acks = Acks.All }).Build();
        foreach (var (key, value) in records)
            await producer.ProduceAsync(Destinations.MesTopic, new Message<string, string>
            {
                Key = key, Value = value, Headers = new Headers { { "content-type", Encoding.UTF8.GetBytes(CloudEvent.JsonContentType) } },
            });
    }

    private string WorkOrderCreated(string workOrderId) =>
        MesEvents.MesEnvelope(EventTypes.Mes.WorkOrderCreated, _tenant, MesEvents.WorkOrderCreated(workOrderId, "WO-" + workOrderId), "evt-" + workOrderId);

    [Fact]
    public void The_harness_runs_the_commit_rules_of_the_deployed_host_json()
    {
        // Without commitOnFailure false the extension commits past every failed record, and with a finite maxRetries past
        // one that failed that often: either would skip records whatever the function does.
        Assert.Equal(new KafkaHostOptions(CommitOnFailure: false, MaxRetries: -1), KafkaHostOptions.FromHostJson());
    }

    [Fact]
    public async Task Every_record_is_settled_with_its_outcome_or_a_dead_letter_also_when_an_output_binding_fails_and_none_is_skipped()
    {
        CreateTopics();
        await using var services = Services();
        var workOrders = Enumerable.Range(1, 6).Select(i => $"wo-{i}").ToArray();
        await ProduceAsync([.. workOrders.Select(w => (w, WorkOrderCreated(w))), ("wo-poison", "{ not json")]);
        _sql.Fail(4); // the SQL output fails after the first four invocations that write rows: the host's retries redo them

        await using (var host = new KafkaTriggerHarness(_kafka.BootstrapServers, services, _sql, "ReserveMaterial", KafkaHostOptions.FromHostJson()))
        {
            await WaitForAsync(() => _sql.Rows("dbo.MaterialReservations").Count >= workOrders.Length, "a reservation per work order");
            var deadLetters = await ReadAsync(Destinations.MesDeadLetterTopic, 1);
            var followOns = await ReadAsync(Destinations.MesTopic, workOrders.Length + 1 + workOrders.Length);
            await WaitForAsync(() => Committed("material.reserve-material").Where(o => o > 0).Sum() == workOrders.Length + 1 + workOrders.Length, "every offset committed");

            Assert.Empty(host.Skipped);
            Assert.Contains(host.Invocations, i => !i.Succeeded && i.Error!.Contains("SQL Server", StringComparison.Ordinal));
            var letter = JsonNode.Parse(Assert.Single(deadLetters).Value)!;
            Assert.Equal("{ not json", (string?)letter["original"]!["value"]);
            Assert.Equal(workOrders.Order(), followOns.Where(m => m.Value.Contains(EventTypes.Mes.MaterialReserved, StringComparison.Ordinal)).Select(m => m.Key).Distinct().Order());
        }
    }

    [Fact]
    public async Task A_record_whose_outputs_keep_failing_ends_as_a_dead_letter_after_the_configured_deliveries_instead_of_blocking_or_skipping()
    {
        CreateTopics();
        await using var services = Services(new Dictionary<string, string?> { ["FunctionApp:KafkaOutputDeliveries"] = "2" });
        await ProduceAsync(("wo-stuck", WorkOrderCreated("wo-stuck")), ("wo-next", WorkOrderCreated("wo-next")));
        _sql.Fail(int.MaxValue);

        await using var host = new KafkaTriggerHarness(_kafka.BootstrapServers, services, _sql, "ReserveMaterial", KafkaHostOptions.FromHostJson());
        var deadLetters = await ReadAsync(Destinations.MesDeadLetterTopic, 2);

        Assert.All(deadLetters, d => Assert.Equal("OutputFailed", (string?)JsonNode.Parse(d.Value)!["reason"]!["code"]));
        Assert.Equal(["wo-next", "wo-stuck"], deadLetters.Select(d => d.Key).Order());
        Assert.Empty(host.Skipped);
        // Two deliveries of nine attempts each failed before the third delivery's final attempt dead-lettered the record.
        Assert.Equal(2 * 9 + 9, host.Invocations.Count(i => i.Offset == host.Invocations.First().Offset && i.Partition == host.Invocations.First().Partition));
    }

    private IReadOnlyList<long> Committed(string group)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = group }).Build();
        return [.. consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Destinations.MesTopic, p)), TimeSpan.FromSeconds(10)).Select(c => c.Offset.Value)];
    }

    private async Task<IReadOnlyList<Message<string, string>>> ReadAsync(string topic, int count)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = _kafka.BootstrapServers, GroupId = "reader-" + Guid.NewGuid().ToString("N"), GroupProtocol = KafkaMockCluster.GroupProtocol,
            AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var messages = new List<Message<string, string>>();
        var deadline = DateTime.UtcNow + Patience;
        while (messages.Count < count && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result) messages.Add(result.Message);
        consumer.Close();
        return messages.Count >= count ? messages : throw new TimeoutException($"{messages.Count} of {count} records in {topic} within {Patience}.");
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No {what} within {Patience}.");
            await Task.Delay(100);
        }
    }
}
