using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Monitoring;
using EventProcessors.Processing.Actions.Monitoring.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.TestSupport.MesEvents;

namespace EventProcessors.Processing.Tests.Actions.Monitoring;

public sealed class ProjectEquipmentStatusOnAzurite(AzuriteFixture azurite) : ProjectEquipmentStatusTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class ProjectEquipmentStatusInMemory : ProjectEquipmentStatusTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class ProjectEquipmentStatusTests : ActionTests
{
    private const string Equipment = "equip-123";

    private EquipmentStatusStore Store => new(Tables);

    private Task<ProcessingResult> Change(string newStatus, string oldStatus, string id, string timestamp, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(IntelligenceEnvelope(EventTypes.ManufacturingIntelligence.EquipmentStatusChanged, Tenant, StatusChanged(newStatus, oldStatus), id, timestamp),
            new ProjectEquipmentStatus(Tables));

    private static DateTimeOffset At(int hour, int minute = 0) => new(2025, 10, 19, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_change_becomes_the_current_status_and_the_first_history_entry()
    {
        var result = await Change("maintenance", "operational", "s-1", "2025-10-19T10:00:00.000Z");

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal(
        [
            new EquipmentStatusChangeRecord
            {
                ChangeId = DerivedIds.Uuid("equipment-status-change", Tenant, "s-1"), TenantId = Tenant, EquipmentId = Equipment,
                OldStatus = "operational", NewStatus = "maintenance", ChangedAt = At(10), EventId = "s-1",
            },
        ], result.Rows<EquipmentStatusChangeRecord>());
        Assert.Equal(new EquipmentStatus { EquipmentId = Equipment, Status = "maintenance", PreviousStatus = "operational", Stamp = new EventStamp(At(10), "s-1") },
            await Store.CurrentAsync(Tenant, Equipment));
        Assert.Equal([new EquipmentStatusChange { EquipmentId = Equipment, OldStatus = "operational", NewStatus = "maintenance", ChangedAt = At(10), EventId = "s-1" }],
            await Store.HistoryAsync(Tenant, Equipment));
    }

    [Fact]
    public async Task A_late_older_change_goes_into_history_without_overwriting_the_current_status()
    {
        await Change("maintenance", "operational", "s-1", "2025-10-19T10:00:00.000Z");
        await Change("operational", "maintenance", "s-3", "2025-10-19T12:00:00.000Z");

        var late = await Change("idle", "maintenance", "s-2", "2025-10-19T11:00:00.000Z");

        Assert.Equal(ProcessingStatus.Completed, late.Status);
        Assert.Equal("idle", Assert.Single(late.Rows<EquipmentStatusChangeRecord>()).NewStatus);
        var current = await Store.CurrentAsync(Tenant, Equipment);
        Assert.Equal(("operational", "maintenance", "s-3"), (current!.Status, current.PreviousStatus, current.Stamp.EventId));
        Assert.Equal([("s-1", At(10), "maintenance"), ("s-2", At(11), "idle"), ("s-3", At(12), "operational")],
            (await Store.HistoryAsync(Tenant, Equipment)).Select(h => (h.EventId, h.ChangedAt, h.NewStatus)));
    }

    [Fact]
    public async Task Equipments_are_projected_apart()
    {
        await Change("maintenance", "operational", "s-1", "2025-10-19T10:00:00.000Z");
        await Pipeline.ProcessAsync(IntelligenceEnvelope(EventTypes.ManufacturingIntelligence.EquipmentStatusChanged, Tenant,
            StatusChanged("down", "operational", "equip-12"), "s-9", "2025-10-19T13:00:00.000Z"), new ProjectEquipmentStatus(Tables));

        Assert.Equal("maintenance", (await Store.CurrentAsync(Tenant, Equipment))!.Status);
        Assert.Equal("down", (await Store.CurrentAsync(Tenant, "equip-12"))!.Status);
        Assert.Single(await Store.HistoryAsync(Tenant, Equipment));
    }

    [Fact]
    public async Task Duplicates_replay_and_record_the_change_once()
    {
        var first = await Change("maintenance", "operational", "s-1", "2025-10-19T10:00:00.000Z");

        var duplicate = await Change("maintenance", "operational", "s-1", "2025-10-19T10:00:00.000Z");
        var rerun = await Change("maintenance", "operational", "s-1", "2025-10-19T10:00:00.000Z", OrderToCashEvents.Harness(Tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Single(await Store.HistoryAsync(Tenant, Equipment));
    }

    [Fact]
    public async Task A_change_without_a_time_cannot_be_ordered_and_is_dead_lettered()
    {
        var cloudEvent = new JsonObject
        {
            ["specversion"] = "1.0", ["id"] = "s-1", ["source"] = "equipment-service", ["type"] = EventTypes.ManufacturingIntelligence.EquipmentStatusChanged,
            ["tenantid"] = Tenant, ["data"] = StatusChanged(),
        }.ToJsonString();

        var result = await Pipeline.ProcessAsync(cloudEvent, new ProjectEquipmentStatus(Tables));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "An equipment status change needs the time it happened, to be ordered among the others.", "$.time"), result.Error);
        Assert.Null(await Store.CurrentAsync(Tenant, Equipment));
    }

    [Fact]
    public async Task A_blank_new_status_is_dead_lettered()
    {
        var result = await Change(" ", "operational", "s-1", "2025-10-19T10:00:00.000Z");

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "newStatus must not be blank.", "$.data.newStatus"), result.Error);
    }

    [Fact]
    public async Task Concurrent_changes_keep_the_latest_by_time_and_all_of_the_history()
    {
        // 12 changes, delivered all at once in scrambled order; the latest by time is s-11 at 21:00.
        var order = new[] { 7, 2, 11, 0, 5, 9, 1, 10, 3, 8, 4, 6 };
        var changes = order.Select(i => UntilSettled(() =>
            Change($"status-{i}", $"status-{i - 1}", $"s-{i}", $"2025-10-19T{10 + i:D2}:00:00.000Z", OrderToCashEvents.Harness(Tables))));
        // Two changes at the same instant are ordered by event id, so every worker agrees on the winner.
        var tie = UntilSettled(() => Change("status-tie", "status-10", "s-11-a", "2025-10-19T21:00:00.000Z", OrderToCashEvents.Harness(Tables)));

        var results = await Task.WhenAll(changes.Append(tie));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var current = await Store.CurrentAsync(Tenant, Equipment);
        Assert.Equal(("status-tie", "s-11-a", At(21)), (current!.Status, current.Stamp.EventId, current.Stamp.At));
        var history = await Store.HistoryAsync(Tenant, Equipment);
        Assert.Equal([.. Enumerable.Range(0, 11).Select(i => $"s-{i}"), "s-11", "s-11-a"], history.Select(h => h.EventId));
    }
}
