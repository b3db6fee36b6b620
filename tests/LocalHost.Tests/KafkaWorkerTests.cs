using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.DeadLetters;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// The worker's MES actions on Kafka (librdkafka's mock cluster in this process, or <c>KAFKA_BOOTSTRAP_SERVERS</c>): each test has
/// topics of its own; Collector runs over the in-memory broker beside it, as <c>serve --kafka</c> does.
/// </summary>
public sealed class KafkaWorkerTests(KafkaMockCluster kafka) : IClassFixture<KafkaMockCluster>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _tenant = "tenant-" + Guid.NewGuid().ToString("N")[..8];
    private KafkaTestBed _bed = null!;

    public Task InitializeAsync()
    {
        _bed = new KafkaTestBed(kafka);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    public static IEnumerable<object[]> Modes => [["mes"], ["structured"], ["binary"]];

    /// <summary>One seed example of every type an MES action consumes (seeds 000, 001, 002), as its platform sends it.</summary>
    private IEnumerable<(string Type, string Body)> SeedExamples(string run)
    {
        string Mes(string type, JsonObject data) => MesEvents.MesEnvelope(type, _tenant, data, $"{run}-{type}");
        string Intelligence(string type, JsonObject payload) => MesEvents.IntelligenceEnvelope(type, _tenant, payload, $"{run}-{type}");
        yield return (M.WorkOrderCreated, Mes(M.WorkOrderCreated, MesEvents.WorkOrderCreated()));
        yield return (M.MaterialReceived, Mes(M.MaterialReceived, MesEvents.MaterialReceived()));
        yield return (M.MaterialIssued, Mes(M.MaterialIssued, MesEvents.MaterialIssued(serials: "SN-1")));
        yield return (M.WorkOrderCompleted, Mes(M.WorkOrderCompleted, MesEvents.WorkOrderCompleted()));
        yield return (M.QualityInspectionCompleted, Mes(M.QualityInspectionCompleted, MesEvents.InspectionCompleted()));
        yield return (M.MaterialPartUpdated, Mes(M.MaterialPartUpdated, MesEvents.PartUpdated()));
        yield return (EventTypes.ManufacturingIntelligence.QualityMeasurementRecorded,
            Intelligence(EventTypes.ManufacturingIntelligence.QualityMeasurementRecorded, MesEvents.Measurement(value: "11.4", withinSpec: false)));
        yield return (EventTypes.ManufacturingIntelligence.EquipmentStatusChanged,
            Intelligence(EventTypes.ManufacturingIntelligence.EquipmentStatusChanged, MesEvents.StatusChanged()));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Every_MES_seed_example_runs_through_each_action_that_consumes_it(string mode)
    {
        var actions = _bed.MesActions();
        Assert.Equal(8, actions.Count);
        var worker = await _bed.StartWorkerAsync(actions);
        var examples = SeedExamples(mode).ToArray();
        foreach (var (type, body) in examples)
        {
            var e = new EnvelopeReader().Read(new InboundMessage(Encoding.UTF8.GetBytes(body))).Value!;
            switch (mode)
            {
                case "mes":
                    await _bed.ProduceAsync(body, MesEvents.WorkOrderId);
                    break;
                case "structured":
                    await _bed.ProduceAsync(Encoding.UTF8.GetString(e.ToJsonBytes()), MesEvents.WorkOrderId,
                        new Dictionary<string, string> { ["content-type"] = CloudEvent.JsonContentType });
                    break;
                default:
                    await _bed.ProduceAsync(e.Data!.Value.GetRawText(), MesEvents.WorkOrderId, new Dictionary<string, string>
                    {
                        ["content-type"] = "application/json",
                        ["ce_specversion"] = "1.0",
                        ["ce_id"] = e.Id,
                        ["ce_source"] = e.Source,
                        ["ce_type"] = e.Type,
                        ["ce_time"] = e.Time!.Value.ToString("O"),
                        ["ce_tenantid"] = _tenant,
                        ["ce_correlationid"] = "corr-binary",
                    });
                    break;
            }
        }

        var expected = examples.SelectMany(x => actions.Where(a => a.Definition.Handles(x.Type)).Select(a => (a.Definition.Name, x.Type))).ToArray();
        await worker.Timeline.WaitForAsync(t => expected.All(x => t.Any(y => y.Kind == TimelineKind.Completed && y.Actor == x.Name && y.EventType == x.Type)),
            Timeout, "every consuming action to complete its example");
        // Every group reads every record: those not consuming a type pass over it (follow-ons on the topic included). Waited for,
        // not assumed after a quiet spell: a loaded machine can leave a group's pass over the inputs later than that.
        var inputs = examples.Select(x => new EnvelopeReader().Read(new InboundMessage(Encoding.UTF8.GetBytes(x.Body))).Value!.Id).ToHashSet();
        var ignored = examples.Length * actions.Count - expected.Length;
        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Ignored && inputs.Contains(x.EventId!)) >= ignored, Timeout,
            "every group to pass over the inputs it does not consume");
        await _bed.WaitUntilQuietAsync(worker);
        var entries = worker.Timeline.Entries;
        Assert.DoesNotContain(entries, x => x.Kind is TimelineKind.DeadLettered or TimelineKind.Failed);
        Assert.Equal(expected.Length, entries.Count(x => x.Kind == TimelineKind.Completed));
        Assert.Equal(ignored, entries.Count(x => x.Kind == TimelineKind.Ignored && inputs.Contains(x.EventId!)));
        // Every follow-on the actions emitted is on mes-events: structured mode, its content-type header, keyed by its partition key.
        var published = entries.Where(x => x.Kind == TimelineKind.Published).ToArray();
        Assert.Contains(published, p => p.EventType == M.QualityNcrCreated);
        Assert.Contains(published, p => p.EventType == EventTypes.ManufacturingIntelligence.QualityCheckFailed);
        var records = _bed.Read();
        foreach (var p in published)
        {
            var record = Assert.Single(records, r => r.Message.Value.Contains($"\"id\":\"{p.EventId}\"", StringComparison.Ordinal));
            Assert.Equal(CloudEvent.JsonContentType, KafkaTestBed.Header(record, "content-type"));
            var followOn = System.Text.Json.JsonSerializer.Deserialize<CloudEvent>(record.Message.Value, ContractJson.Options)!;
            Assert.Equal(p.EventType, followOn.Type);
            Assert.Equal(followOn.PartitionKey ?? followOn.Subject ?? followOn.Id, record.Message.Key);
        }
    }

    [Fact]
    public async Task One_record_produced_three_times_has_one_effect()
    {
        var worker = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        var body = MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant, MesEvents.WorkOrderCompleted(), "evt-thrice");
        for (var i = 0; i < 3; i++) await _bed.ProduceAsync(body, MesEvents.WorkOrderId);

        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind is TimelineKind.Completed or TimelineKind.Duplicate) == 3, Timeout, "three settlements");
        Assert.Single(worker.Timeline.OfKind(TimelineKind.Completed));
        Assert.Equal(2, worker.Timeline.OfKind(TimelineKind.Duplicate).Count());
        Assert.Single(await worker.Records.ReadAllAsync("Inspections"));
        // Replays publish the recorded follow-on again, under the same event id: downstream it is one event.
        var followOns = _bed.FollowOns(M.QualityInspectionCreated);
        Assert.NotEmpty(followOns);
        Assert.Single(followOns.Select(r => System.Text.Json.JsonSerializer.Deserialize<CloudEvent>(r.Message.Value, ContractJson.Options)!.Id).Distinct());
    }

    [Fact]
    public async Task Poison_records_are_dead_lettered_with_reason_consumer_and_origin_and_consumption_goes_on()
    {
        var refusing = new ScriptedMesAction((context, _) => context.Event.Data!.Value.GetProperty("workOrderNumber").GetString() == "REFUSE"
            ? throw EventValidationException.Invalid("work order WO-REFUSE is closed", "$.data.workOrderNumber")
            : Task.CompletedTask);
        var worker = await _bed.StartWorkerAsync([refusing]);
        var plant = new Dictionary<string, string> { ["x-plant"] = "P1" };
        var unreadable = await _bed.ProduceAsync("{ not json", "wo-1", plant);
        var invalid = await _bed.ProduceAsync(MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant, new JsonObject { ["workOrderId"] = "wo-1" }, "evt-invalid"), "wo-1", plant);
        var refused = await _bed.ProduceAsync(MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant, MesEvents.WorkOrderCompleted("wo-1", "REFUSE"), "evt-refused"), "wo-1", plant);
        await _bed.ProduceAsync(MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant, MesEvents.WorkOrderCompleted("wo-1"), "evt-good"), "wo-1");

        await worker.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Completed && x.EventId == "evt-good"), Timeout, "the good record after the poison");
        var letters = _bed.Read(_bed.Options.DeadLetterTopic).Select(r => (Record: r, Letter: KafkaDeadLetter.TryRead(Encoding.UTF8.GetBytes(r.Message.Value))!)).ToArray();
        Assert.Equal(3, letters.Length);
        foreach (var (record, letter) in letters)
        {
            Assert.Equal(nameof(Consumers.CreateInspection), letter.Consumer);
            Assert.Equal(Consumers.CreateInspection.Queue, letter.ConsumerGroup);
            Assert.Equal(_bed.Options.Topic, letter.Original.Topic);
            Assert.Equal("P1", letter.Original.Headers["x-plant"]);
            Assert.Equal("wo-1", letter.Original.Key);
            Assert.Equal("wo-1", record.Message.Key);
            Assert.Equal("application/json", KafkaTestBed.Header(record, "content-type"));
        }
        var byOffset = letters.ToDictionary(l => (l.Letter.Original.Partition, l.Letter.Original.Offset), l => l.Letter);
        Assert.Equal("UnreadableJson", byOffset[(unreadable.Partition.Value, unreadable.Offset.Value)].Reason.Code);
        Assert.Equal("{ not json", byOffset[(unreadable.Partition.Value, unreadable.Offset.Value)].Original.Value);
        Assert.Equal("MissingField", byOffset[(invalid.Partition.Value, invalid.Offset.Value)].Reason.Code);
        var refusal = byOffset[(refused.Partition.Value, refused.Offset.Value)];
        Assert.Equal("InvalidValue", refusal.Reason.Code);
        Assert.Equal("work order WO-REFUSE is closed", refusal.Reason.Message);
        Assert.Equal("$.data.workOrderNumber", refusal.Reason.Path);
        Assert.Equal(1, refusal.Attempts);
    }

    [Fact]
    public async Task Records_of_one_key_are_settled_in_order_while_keys_and_partitions_run_in_parallel()
    {
        var seen = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        var running = 0;
        var maxRunning = 0;
        var order = new ScriptedMesAction(async (context, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            int max;
            while ((max = Volatile.Read(ref maxRunning)) < now && Interlocked.CompareExchange(ref maxRunning, now, max) != max) { }
            // Later records of a key are faster: if two records of one key ever ran together, the later would overtake the earlier.
            var sequence = int.Parse(context.Event.Data!.Value.GetProperty("workOrderNumber").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            await Task.Delay(Math.Max(1, 30 - sequence), ct);
            seen.GetOrAdd(context.Event.Data!.Value.GetProperty("workOrderId").GetString()!, _ => new()).Enqueue(sequence);
            Interlocked.Decrement(ref running);
        });
        var options = WorkerHarness.FastOptions();
        options.Prefetch = 8;
        var worker = await _bed.StartWorkerAsync([order], options);
        var keys = Enumerable.Range(1, 6).Select(k => $"wo-order-{k}").ToArray();
        var produced = new List<Task>();
        for (var sequence = 1; sequence <= 25; sequence++)
            foreach (var key in keys)
                produced.Add(_bed.ProduceAsync(MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant,
                    MesEvents.WorkOrderCompleted(key, sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{key}-{sequence}"), key));
        await Task.WhenAll(produced);

        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Completed) == keys.Length * 25, Timeout, "every record");
        foreach (var key in keys) Assert.Equal(Enumerable.Range(1, 25), seen[key]);
        Assert.True(maxRunning > 1, $"records of different keys never ran at the same time (at most {maxRunning})");
        Assert.True(maxRunning <= options.Prefetch, $"{maxRunning} handlers ran at once; the bound is {options.Prefetch}");
    }

    [Fact]
    public async Task A_partition_at_its_in_flight_bound_buffers_then_pauses_while_the_other_partitions_go_on_and_resumes_without_a_gap()
    {
        _bed.Options.MaxInFlightPerPartition = 3;
        _bed.Options.MaxBufferedPerPartition = 4; // 40 stuck records: paused at four waiting, resumed at two, many times over
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocking = new ScriptedMesAction((context, ct) =>
            context.Event.Data!.Value.GetProperty("workOrderId").GetString() == "wo-block" ? gate.Task.WaitAsync(ct) : Task.CompletedTask);
        var worker = await _bed.StartWorkerAsync([blocking]);
        string Body(string id) => MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant, MesEvents.WorkOrderCompleted(id), "evt-" + id);
        await _bed.ProduceAsync(Body("wo-block"), "wo-block", partition: 0);
        var stuck = Enumerable.Range(1, 40).Select(i => $"wo-p0-{i}").ToArray();
        var free = Enumerable.Range(1, 10).Select(i => $"wo-p1-{i}").ToArray();
        await Task.WhenAll(stuck.Select(id => _bed.ProduceAsync(Body(id), id, partition: 0)));
        await Task.WhenAll(free.Select(id => _bed.ProduceAsync(Body(id), id, partition: 1)));

        await worker.Timeline.WaitForAsync(t => free.All(id => t.Any(x => x.Kind == TimelineKind.Completed && x.EventId == "evt-" + id)), Timeout, "partition 1 to go on");
        await Task.Delay(500);
        // Partition 0 holds the blocked record and two behind it (other keys, done but not committable): the bound of three.
        Assert.Equal(2, worker.Timeline.OfKind(TimelineKind.Completed).Count(x => stuck.Any(id => x.EventId == "evt-" + id)));

        gate.SetResult();
        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Completed) == 51, Timeout, "partition 0 to resume and finish");
        await _bed.WaitUntilQuietAsync(worker);
        // Resumed after each pause from the record after the last one it buffered: none skipped, none taken twice.
        Assert.Equal(stuck.Select(id => "evt-" + id).Order(),
            worker.Timeline.OfKind(TimelineKind.Completed).Select(x => x.EventId).Where(id => id!.StartsWith("evt-wo-p0-", StringComparison.Ordinal)).Order());
        Assert.Equal(51, worker.Timeline.OfKind(TimelineKind.Completed).Count());
        Assert.Empty(worker.Timeline.OfKind(TimelineKind.Duplicate));
    }

    [Fact]
    public async Task A_refused_record_replayed_from_the_dead_letter_topic_runs_once_its_cause_is_fixed()
    {
        var closed = true;
        var action = new ScriptedMesAction((_, _) => Volatile.Read(ref closed) ? throw EventValidationException.Invalid("work order is closed") : Task.CompletedTask);
        var worker = await _bed.StartWorkerAsync([action]);
        await _bed.ProduceAsync(MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant, MesEvents.WorkOrderCompleted("wo-replay"), "evt-replay"), "wo-replay",
            new Dictionary<string, string> { ["x-plant"] = "P1" });
        await worker.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.DeadLettered), Timeout, "the dead letter");
        await KafkaTestBed.WaitUntilAsync(() => _bed.Read(_bed.Options.DeadLetterTopic).Count == 1, Timeout, "the dead letter on its topic");

        var tool = new KafkaDeadLetterTool(_bed.Options);
        var listed = Assert.Single(await tool.ListAsync(Consumers.CreateInspection.Queue, 100, CancellationToken.None));
        Assert.Equal("InvalidValue", listed.Code);
        Assert.Equal("work order is closed", listed.Reason);
        Assert.Equal(nameof(Consumers.CreateInspection), listed.Consumer);
        Assert.Equal(M.WorkOrderCompleted, listed.EventType);
        Assert.Equal(0, listed.Replays);

        Volatile.Write(ref closed, false);
        var (replayed, skipped) = await tool.ReplayAsync(null, 100, CancellationToken.None);
        Assert.Single(replayed);
        Assert.Empty(skipped);
        await worker.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Completed && x.EventId == "evt-replay"), Timeout, "the replay to run");
        Assert.Equal(2, action.Runs);
        var replay = _bed.Read().Last();
        Assert.Equal("1", KafkaTestBed.Header(replay, "x-replay-count"));
        Assert.Equal("P1", KafkaTestBed.Header(replay, "x-plant"));
        Assert.Equal("wo-replay", replay.Message.Key);

        // Replayed letters are behind the replay cursor: a second replay sends nothing, and list shows nothing left.
        Assert.Empty((await tool.ReplayAsync(null, 100, CancellationToken.None)).Replayed);
        Assert.Empty(await tool.ListAsync(null, 100, CancellationToken.None));
    }
}

/// <summary>A scripted MES action in CreateInspection's consumer group (work-order.completed); counts its runs.</summary>
internal sealed class ScriptedMesAction(Func<ActionContext, CancellationToken, Task> behaviour) : IConsumerAction
{
    private int _runs;

    public int Runs => Volatile.Read(ref _runs);

    public ConsumerDefinition Definition { get; } = Consumers.CreateInspection with { Emits = [], Writes = [] };

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runs);
        await behaviour(context, cancellationToken);
    }
}
