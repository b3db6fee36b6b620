using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Monitoring;
using EventProcessors.Processing.Actions.Monitoring.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.MesEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Monitoring;

public sealed class ProjectEquipmentStatusOnAzurite(AzuriteFixture azurite) : ProjectEquipmentStatusTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class ProjectEquipmentStatusInMemory : ProjectEquipmentStatusTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class ProjectEquipmentStatusTests
{
    private readonly string _tenant = NewTenant();
    private PipelineHarness? _harness;

    protected abstract ITableServiceClient Tables { get; }

    private PipelineHarness Pipeline => _harness ??= Harness(Tables);

    private Task<ProcessingResult> Change(string eventId, string timestamp, string newStatus, string oldStatus = "operational", string equipmentId = "equip-123",
        PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Intelligence(EventTypes.ManufacturingIntelligence.EquipmentStatusChanged, _tenant,
            new JsonObject { ["equipmentId"] = equipmentId, ["newStatus"] = newStatus, ["oldStatus"] = oldStatus }, eventId, timestamp),
            new ProjectEquipmentStatus(Tables));

    private Task<EquipmentStatus?> Status(string equipmentId = "equip-123") => new EquipmentStatusStore(Tables).GetAsync(_tenant, equipmentId, CancellationToken.None);

    private static EquipmentStatusChange At(string eventId, string status, string oldStatus, string time) => new(eventId, status, oldStatus, DateTimeOffset.Parse(time));

    [Fact]
    public async Task Changes_move_the_current_status_and_build_the_history()
    {
        var first = await Change("e-1", "2025-01-10T12:00:00Z", "maintenance");
        await Change("e-2", "2025-01-10T13:00:00Z", "operational", oldStatus: "maintenance");

        Assert.Equal(ProcessingStatus.Completed, first.Status);
        Assert.True(first.Outcome.IsEmpty);
        var status = await Status();
        Assert.Equal(At("e-2", "operational", "maintenance", "2025-01-10T13:00:00Z"), status!.Current);
        Assert.Equal([At("e-1", "maintenance", "operational", "2025-01-10T12:00:00Z"), At("e-2", "operational", "maintenance", "2025-01-10T13:00:00Z")], status.History);
    }

    [Fact]
    public async Task An_older_event_goes_into_history_without_overwriting_the_current_status()
    {
        await Change("e-new", "2025-01-10T13:00:00Z", "down");
        await Change("e-old", "2025-01-10T12:00:00Z", "maintenance");

        var status = await Status();
        Assert.Equal(At("e-new", "down", "operational", "2025-01-10T13:00:00Z"), status!.Current);
        Assert.Equal(["e-old", "e-new"], status.History.Select(c => c.EventId));
    }

    [Fact]
    public async Task Duplicate_and_re_run_add_nothing()
    {
        await Change("e-1", "2025-01-10T12:00:00Z", "maintenance");
        var duplicate = await Change("e-1", "2025-01-10T12:00:00Z", "maintenance");
        var rerun = await Change("e-1", "2025-01-10T12:00:00Z", "maintenance", pipeline: Harness(Tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(["e-1"], (await Status())!.History.Select(c => c.EventId));
    }

    [Fact]
    public async Task Concurrent_changes_keep_the_latest_by_timestamp_and_every_change_in_history()
    {
        var start = DateTimeOffset.Parse("2025-01-10T12:00:00Z");
        // Shuffled so that the latest change is not the last one to arrive.
        var minutes = Enumerable.Range(0, 12).OrderBy(i => (i * 7) % 12).ToArray();

        var results = await Task.WhenAll(minutes.Select(m =>
            Change($"e-{m:D2}", start.AddMinutes(m).ToString("O"), $"status-{m:D2}", pipeline: Harness(Tables))));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var status = await Status();
        Assert.Equal(At("e-11", "status-11", "operational", start.AddMinutes(11).ToString("O")), status!.Current);
        Assert.Equal(Enumerable.Range(0, 12).Select(m => $"e-{m:D2}"), status.History.Select(c => c.EventId));
    }

    [Fact]
    public async Task Blank_equipment_is_dead_lettered()
    {
        var result = await Change("e-1", "2025-01-10T12:00:00Z", "down", equipmentId: "");

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "equipmentId must not be blank.", "$.data.equipmentId"), result.Error);
    }
}
