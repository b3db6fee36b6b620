using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// The MES worker on Kafka under faults: workers killed before they commit, a group that splits and shrinks, a broker that goes
/// away. Each test has a mock cluster of its own (faults need the mock), with short KIP-848 session timeouts so a vanished member's
/// partitions move within seconds.
/// </summary>
public sealed class KafkaFaultTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _tenant = "tenant-" + Guid.NewGuid().ToString("N")[..8];
    private readonly KafkaMockCluster _cluster = KafkaMockCluster.StartMock(brokers: 1);
    private KafkaTestBed _bed = null!;

    public Task InitializeAsync()
    {
        _cluster.SetGroupConsumerTimeouts(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(300));
        _bed = new KafkaTestBed(_cluster);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        _cluster.Dispose();
    }

    private Task ProduceCompletionAsync(string workOrderId) =>
        _bed.ProduceAsync(MesEvents.MesEnvelope(M.WorkOrderCompleted, _tenant, MesEvents.WorkOrderCompleted(workOrderId), "evt-" + workOrderId), workOrderId);

    private IReadOnlyList<string> FollowOnIds() =>
        _bed.FollowOns(M.QualityInspectionCreated).Select(r => JsonSerializer.Deserialize<CloudEvent>(r.Message.Value, ContractJson.Options)!.Id).ToArray();

    [Fact]
    public async Task A_worker_killed_after_processing_but_before_committing_leaves_each_record_done_exactly_once_after_restart()
    {
        // Commits so rare that none happens before the kill: every record the first worker settled is still uncommitted.
        _bed.Options.CommitInterval = TimeSpan.FromHours(1);
        var first = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        var ids = Enumerable.Range(1, 12).Select(i => $"wo-kill-{i}").ToArray();
        foreach (var id in ids) await ProduceCompletionAsync(id);
        await first.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Completed) == ids.Length, Timeout, "the first worker to process all");

        await ((MesOnKafkaTransport)first.Transport).Kafka.AbortAsync();

        _bed.Options.CommitInterval = TimeSpan.FromMilliseconds(50);
        var second = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        // Nothing was committed, so the successor gets every record again; the idempotency records make each a replay.
        await second.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Duplicate) == ids.Length, Timeout, "the successor to replay all");
        Assert.Empty(second.Timeline.OfKind(TimelineKind.Completed));
        Assert.Equal(ids.Length, (await second.Records.ReadAllAsync("Inspections")).Count);
        Assert.Equal(ids.Length, FollowOnIds().Distinct().Count());
        Assert.Empty(_bed.Read(_bed.Options.DeadLetterTopic));

        // The successor committed: a third worker of the group starts past every record.
        await second.StopAsync();
        var third = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        await ProduceCompletionAsync("wo-kill-last");
        await third.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Completed), Timeout, "the new record");
        await _bed.WaitUntilQuietAsync(third);
        Assert.Equal("evt-wo-kill-last", Assert.Single(third.Timeline.OfKind(TimelineKind.Completed)).EventId);
        Assert.Empty(third.Timeline.OfKind(TimelineKind.Duplicate));
    }

    [Fact]
    public async Task A_worker_killed_mid_record_has_it_finished_exactly_once_by_the_next_owner_of_its_partition()
    {
        var claimed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hang = new ScriptedMesAction(async (_, _) => { claimed.TrySetResult(); await Task.Delay(System.Threading.Timeout.Infinite); });
        var shortLease = new ProcessingOptions { IdempotencyTableName = _bed.Processing.IdempotencyTableName, LeaseDuration = TimeSpan.FromSeconds(2) };
        // A killed worker also stops renewing its lease: its view of the store is cut off with its consumer.
        var firstTables = new SeverableTables(_bed.Tables);
        var first = await _bed.StartWorkerAsync([hang], processing: shortLease, tables: firstTables);
        await ProduceCompletionAsync("wo-hang");
        await claimed.Task.WaitAsync(Timeout);
        firstTables.Sever();
        await ((MesOnKafkaTransport)first.Transport).Kafka.AbortAsync();

        var successor = new ScriptedMesAction((_, _) => Task.CompletedTask);
        var second = await _bed.StartWorkerAsync([successor], processing: shortLease);
        await second.Timeline.WaitForAsync(t => t.Any(x => x.Kind == TimelineKind.Completed), Timeout, "the successor to finish the record");
        Assert.Equal(1, successor.Runs);
        Assert.Empty(_bed.Read(_bed.Options.DeadLetterTopic));
    }

    [Fact]
    public async Task Two_workers_in_one_group_split_the_partitions_and_nothing_is_doubled_or_lost_when_one_leaves()
    {
        var a = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        var b = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        var ids = Enumerable.Range(1, 80).Select(i => $"wo-split-{i}").ToArray();
        foreach (var id in ids[..40]) await ProduceCompletionAsync(id);
        await KafkaTestBed.WaitUntilAsync(() => a.Timeline.OfKind(TimelineKind.Completed).Any() && b.Timeline.OfKind(TimelineKind.Completed).Any(),
            Timeout, "both workers to take a share of the partitions");

        // One leaves while records keep coming: its partitions move to the other, which resumes from the committed offsets.
        var leaving = a.StopAsync();
        foreach (var id in ids[40..]) await ProduceCompletionAsync(id);
        await leaving;
        await KafkaTestBed.WaitUntilAsync(() => b.Timeline.OfKind(TimelineKind.Completed).Count() + a.Timeline.OfKind(TimelineKind.Completed).Count() >= ids.Length,
            Timeout, "every record to be processed");
        await _bed.WaitUntilQuietAsync(b);

        var completed = a.Timeline.OfKind(TimelineKind.Completed).Concat(b.Timeline.OfKind(TimelineKind.Completed)).Select(x => x.EventId).ToArray();
        Assert.Equal(ids.Select(id => "evt-" + id).Order(), completed.Order());
        Assert.Equal(ids.Length, (await b.Records.ReadAllAsync("Inspections")).Count);
        Assert.Equal(ids.Length, FollowOnIds().Distinct().Count());
        Assert.Empty(_bed.Read(_bed.Options.DeadLetterTopic));
    }

    [Fact]
    public async Task A_broker_down_for_some_seconds_loses_nothing()
    {
        var worker = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        var ids = Enumerable.Range(1, 30).Select(i => $"wo-down-{i}").ToArray();
        foreach (var id in ids[..10]) await ProduceCompletionAsync(id);
        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Completed) >= 5, Timeout, "some records before the outage");

        _cluster.BrokerDown(_cluster.BrokerIds[0]);
        // Produced during the outage: the producer holds them until the broker is back.
        var during = ids[10..20].Select(ProduceCompletionAsync).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(4));
        _cluster.BrokerUp(_cluster.BrokerIds[0]);
        await Task.WhenAll(during);
        foreach (var id in ids[20..]) await ProduceCompletionAsync(id);

        await worker.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Completed) == ids.Length, Timeout, "every record after the outage");
        await _bed.WaitUntilQuietAsync(worker);
        Assert.Equal(ids.Select(id => "evt-" + id).Order(), worker.Timeline.OfKind(TimelineKind.Completed).Select(x => x.EventId).Order());
        Assert.Equal(ids.Length, (await worker.Records.ReadAllAsync("Inspections")).Count);
        Assert.Equal(ids.Length, FollowOnIds().Distinct().Count());
        Assert.Empty(_bed.Read(_bed.Options.DeadLetterTopic));
    }
}
