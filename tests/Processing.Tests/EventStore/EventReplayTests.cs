using System.Text;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Monitoring;
using EventProcessors.Processing.Actions.Monitoring.State;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Tests.EventStore;

/// <summary>
/// <c>events replay</c> underneath: equipment status changes (some late, some duplicated) are captured and projected as the
/// worker does; the projection is then damaged and rebuilt from the store, reaching exactly the state it had.
/// </summary>
public abstract class EventReplayTests
{
    private const string Tenant = "plant-7";
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 6, 0, 0, TimeSpan.Zero);

    protected abstract ITableServiceClient Tables { get; }

    protected abstract IEventStore CreateStore();

    private sealed record Rig(EquipmentStatusStore Status, EventRecorder Recorder, EventReplayer Replayer, EventPipeline Pipeline, ProjectEquipmentStatus Action, IEventStore Store);

    private Rig Build()
    {
        var processing = Options.Create(new ProcessingOptions { IdempotencyTableName = TableNames.Unique("idem") });
        var idempotency = new TableIdempotencyStore(Tables, processing, TimeProvider.System);
        var pipeline = new EventPipeline(idempotency, processing, TimeProvider.System, NullLogger<EventPipeline>.Instance);
        var action = new ProjectEquipmentStatus(Tables);
        var store = CreateStore();
        var capture = new EventCapture(new EventStoreOptions());
        return new Rig(new EquipmentStatusStore(Tables), new EventRecorder(store, capture, TimeProvider.System, NullLogger<EventRecorder>.Instance),
            new EventReplayer(store, capture, idempotency, pipeline, [action, new ReserveStock(Tables)]), pipeline, action, store);
    }

    private static InboundMessage StatusChanged(string equipmentId, string from, string to, DateTimeOffset at) => new(Encoding.UTF8.GetBytes(new JsonObject
    {
        ["specversion"] = "1.0", ["id"] = Guid.NewGuid().ToString(), ["source"] = "intelligence.equipment", ["type"] = EventTypes.ManufacturingIntelligence.EquipmentStatusChanged,
        ["time"] = at.ToString("O"), ["tenantid"] = Tenant, ["partitionkey"] = equipmentId,
        ["data"] = new JsonObject { ["equipmentId"] = equipmentId, ["oldStatus"] = from, ["newStatus"] = to },
    }.ToJsonString()), ContentType: CloudEvent.JsonContentType);

    private static async Task<string> SnapshotAsync(EquipmentStatusStore status, IEnumerable<string> equipment)
    {
        var text = new StringBuilder();
        foreach (var id in equipment)
        {
            var current = await status.CurrentAsync(Tenant, id);
            text.AppendLine($"{id}: {current?.Status} (was {current?.PreviousStatus}) at {current?.Stamp.At:O} by {current?.Stamp.EventId}");
            foreach (var change in await status.HistoryAsync(Tenant, id)) text.AppendLine($"  {change.ChangedAt:O} {change.OldStatus} -> {change.NewStatus} {change.EventId}");
        }
        return text.ToString();
    }

    [Fact]
    public async Task Replaying_ProjectEquipmentStatus_rebuilds_a_damaged_projection_to_the_same_state()
    {
        var rig = Build();
        var equipment = new[] { "press-1", "press-2", "lathe-1", "robot-4" };
        var statuses = new[] { "operational", "maintenance", "down", "idle" };
        var random = new Random(16);
        var messages = Enumerable.Range(0, 80).Select(i =>
        {
            var id = equipment[i % equipment.Length];
            // Every fifth change arrives late, an hour older than its neighbours.
            var at = T0.AddMinutes(i * 3 - (i % 5 == 0 ? 60 : 0));
            return StatusChanged(id, statuses[random.Next(4)], statuses[random.Next(4)], at);
        }).ToList();
        messages.Add(messages[10]); // a duplicate delivery
        foreach (var message in messages)
        {
            var (outcome, _) = await rig.Recorder.RecordAsync(message, new TransportInfo(TransportInfo.MesBus, "mes-events", "press-1", 0, 1), CancellationToken.None);
            Assert.NotEqual(RecordOutcome.Unreadable, outcome);
            Assert.True((await rig.Pipeline.ProcessAsync(message, rig.Action, CancellationToken.None)).ShouldPublish);
        }
        var before = await SnapshotAsync(rig.Status, equipment);

        // Damage: a bogus newer change on one machine, and another machine's current status lost.
        await rig.Status.RecordAsync(Tenant, new EquipmentStatusChange { EquipmentId = "press-1", OldStatus = "x", NewStatus = "bogus", ChangedAt = T0.AddDays(1), EventId = "bad" }, CancellationToken.None);
        await rig.Status.ResetAsync(Tenant, "lathe-1", T0.AddDays(2), CancellationToken.None);
        Assert.NotEqual(before, await SnapshotAsync(rig.Status, equipment));

        var report = await rig.Replayer.ReplayAsync("ProjectEquipmentStatus", Tenant, T0.AddHours(-2), force: false);

        Assert.Equal(80, report.Replayed);
        // Completed, not Duplicate: the idempotency records of the range were forgotten first, so every event ran again.
        Assert.All(report.Results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        Assert.Equal(before, await SnapshotAsync(rig.Status, equipment));

        // From the middle of the history: older history stays, the rest is rebuilt, the same state again.
        report = await rig.Replayer.ReplayAsync("monitoring.project-equipment-status", Tenant, T0.AddMinutes(120), force: false);
        Assert.InRange(report.Replayed, 1, 79);
        Assert.Equal(before, await SnapshotAsync(rig.Status, equipment));
    }

    [Fact]
    public async Task A_consumer_whose_effects_cannot_be_undone_is_refused_with_the_reason_unless_forced()
    {
        var rig = Build();
        var refused = await Assert.ThrowsAsync<ReplayRefusedException>(() => rig.Replayer.ReplayAsync("ReserveStock", Tenant, T0, force: false));
        Assert.Contains("ReserveStock is not a rebuildable projection", refused.Message);
        Assert.Contains("stock.reserved", refused.Message);
        Assert.Contains("--force", refused.Message);
        Assert.Empty((await rig.Replayer.ReplayAsync("ReserveStock", Tenant, T0, force: true)).Results);
        await Assert.ThrowsAsync<ArgumentException>(() => rig.Replayer.ReplayAsync("NoSuchConsumer", Tenant, T0, force: false));
    }
}

public sealed class InMemoryEventReplayTests : EventReplayTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();

    protected override IEventStore CreateStore() => new TableEventStore(Tables, Options.Create(new EventStoreOptions()), TimeProvider.System);
}

public sealed class AzuriteEventReplayTests(AzuriteFixture azurite) : EventReplayTests, IClassFixture<AzuriteFixture>
{
    private readonly string _prefix = "r" + Guid.NewGuid().ToString("N")[..10];

    protected override ITableServiceClient Tables => TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = azurite.ConnectionString, TableNamePrefix = _prefix });

    protected override IEventStore CreateStore() => new TableEventStore(Tables, Options.Create(new EventStoreOptions()), TimeProvider.System);
}

public sealed class PostgresEventReplayTests(PostgresFixture postgres) : EventReplayTests, IClassFixture<PostgresFixture>
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();

    protected override IEventStore CreateStore() => new PostgresEventStore(Options.Create(new EventStoreOptions
    {
        PostgresConnection = postgres.ConnectionString, PostgresSchema = PostgresFixture.UniqueSchema("replay"),
    }), TimeProvider.System);
}
