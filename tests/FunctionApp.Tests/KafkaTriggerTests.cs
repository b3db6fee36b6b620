using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Tests.Harness;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Telemetry;
using EventProcessors.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The MES functions under the Kafka trigger's rules (<see cref="KafkaTriggerHarness"/>, host.json as deployed) against
/// librdkafka's mock cluster (a real Kafka wire protocol, in process) and real Table Storage (Azurite).
/// </summary>
public sealed class KafkaTriggerTests(RabbitMqFixture broker, AzuriteFixture storage) : IClassFixture<RabbitMqFixture>, IClassFixture<AzuriteFixture>, IDisposable
{
    private const int Partitions = 3;
    private static readonly TimeSpan Patience = Eventually.DefaultPatience;
    private readonly KafkaMockCluster _kafka = KafkaMockCluster.StartMock(1);
    private readonly string _tenant = FunctionHost.NewTenant();
    private readonly SqlOutputStandIn _sql = new();

    public void Dispose() => _kafka.Dispose();

    private ServiceProvider Services(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null) =>
        HarnessHost.Services(storage.ConnectionString, HarnessHost.NewTablePrefix(), broker.BaseUri, configure, settings);

    private void CreateTopics()
    {
        _kafka.CreateTopic(Destinations.MesTopic, Partitions);
        _kafka.CreateTopic(Destinations.MesDeadLetterTopic, 1);
    }

    private Task ProduceAsync(params (string Key, string Value)[] records) => ProduceAsync(null, [.. records.Select(r => (r.Key, r.Value, (int?)null))]);

    /// <summary>Produces to the given partitions (null: the partitioner's choice), with <paramref name="headers"/> besides the content type.</summary>
    private async Task ProduceAsync(IReadOnlyDictionary<string, string>? headers, params (string Key, string Value, int? Partition)[] records)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, Acks = Acks.All }).Build();
        foreach (var (key, value, partition) in records)
        {
            var message = new Message<string, string>
            {
                Key = key, Value = value, Headers = new Headers { { "content-type", Encoding.UTF8.GetBytes(CloudEvent.JsonContentType) } },
            };
            foreach (var (name, text) in headers ?? new Dictionary<string, string>()) message.Headers.Add(name, Encoding.UTF8.GetBytes(text));
            if (partition is { } p) await producer.ProduceAsync(new TopicPartition(Destinations.MesTopic, p), message);
            else await producer.ProduceAsync(Destinations.MesTopic, message);
        }
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

    [Fact]
    public async Task A_slow_partition_does_not_hold_the_other_partitions_of_its_batch_and_the_next_batch_waits_for_it_as_the_real_executor_does()
    {
        CreateTopics();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var services = Services(configure: s => s.Replace(ServiceDescriptor.Singleton<IIdempotencyStore>(sp =>
            new HeldClaim(ActivatorUtilities.CreateInstance<TableIdempotencyStore>(sp), "evt-wo-slow", release.Task))));
        await ProduceAsync(null, ("wo-slow", WorkOrderCreated("wo-slow"), 0), ("wo-fast-1", WorkOrderCreated("wo-fast-1"), 1), ("wo-fast-2", WorkOrderCreated("wo-fast-2"), 2));

        await using var host = new KafkaTriggerHarness(_kafka.BootstrapServers, services, _sql, "ReserveMaterial", KafkaHostOptions.FromHostJson());
        // Partitions 1 and 2 finish while partition 0's record is still held in its claim: one task per partition.
        await WaitForAsync(() => Reserved("wo-fast-1") && Reserved("wo-fast-2"), "the fast partitions' reservations");
        Assert.False(Reserved("wo-slow"));

        // A record that comes later is in the next batch, which the executor starts only once every partition of this one is done.
        await ProduceAsync(null, ("wo-late", WorkOrderCreated("wo-late"), 1));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(Reserved("wo-late"));

        release.SetResult();
        await WaitForAsync(() => Reserved("wo-slow") && Reserved("wo-late"), "the slow and the late reservation");
        Assert.Empty(host.Skipped);
    }

    [Fact]
    public async Task A_record_delivered_three_times_puts_one_follow_on_on_the_topic_with_the_producer_span_in_its_headers()
    {
        CreateTopics();
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ProcessingTelemetry.ActivitySource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var services = Services();
        var upstream = ActivityTraceId.CreateRandom();
        var trace = new Dictionary<string, string>
        {
            ["traceparent"] = $"00-{upstream}-{ActivitySpanId.CreateRandom()}-01", ["tracestate"] = "plant=p7",
        };
        // One event (one id), published three times: three records of one partition.
        var created = WorkOrderCreated("wo-thrice");
        await ProduceAsync(trace, ("wo-thrice", created, 0), ("wo-thrice", created, 0), ("wo-thrice", created, 0));

        await using var host = new KafkaTriggerHarness(_kafka.BootstrapServers, services, _sql, "ReserveMaterial", KafkaHostOptions.FromHostJson());
        await WaitForAsync(() => host.Invocations.Count(i => i is { Partition: 0, Succeeded: true } && i.Offset <= 2) >= 3, "three deliveries handled");
        var followOns = KafkaTriggerHarness.ReadAll(_kafka.BootstrapServers, Destinations.MesTopic).Where(m => m.Value.Contains(EventTypes.Mes.MaterialReserved, StringComparison.Ordinal)).ToArray();

        // The second delivery found the first one's outputs written (a later offset of its partition ran) and publishes nothing.
        var followOn = Assert.Single(followOns);
        Assert.Single(_sql.Rows("dbo.MaterialReservations").Values, r => (string)r["WorkOrderId"]! == "wo-thrice");
        var header = followOn.Headers.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()));
        Assert.True(ActivityContext.TryParse(header["traceparent"], header["tracestate"], out var linked), header["traceparent"]);
        // The header names the producer span, a child of the span that produced the event, in the upstream trace.
        var publish = Assert.Single(spans, s => s.SpanId == linked.SpanId);
        Assert.Equal((ActivityKind.Producer, upstream, "plant=p7"), (publish.Kind, linked.TraceId, header["tracestate"]));
        var body = JsonNode.Parse(followOn.Value)!;
        Assert.Equal((string?)body["traceparent"], $"00-{publish.TraceId}-{publish.ParentSpanId}-01");
        Assert.Empty(host.Skipped);
    }

    private bool Reserved(string workOrderId) => _sql.Rows("dbo.MaterialReservations").Values.Any(r => (string)r["WorkOrderId"]! == workOrderId);

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
