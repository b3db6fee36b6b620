using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Material;
using EventProcessors.Processing.Actions.WorkOrders;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.TestSupport.MesEvents;

namespace EventProcessors.Processing.Tests.Actions.WorkOrders;

public sealed class SyncPartReferenceOnAzurite(AzuriteFixture azurite) : SyncPartReferenceTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class SyncPartReferenceInMemory : SyncPartReferenceTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class SyncPartReferenceTests : ActionTests
{
    private Task<ProcessingResult> Update(JsonObject? updated = null, string eventId = "evt-part-1", string timestamp = "2025-10-20T10:00:00.000Z", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(MesEnvelope(EventTypes.Mes.MaterialPartUpdated, Tenant, updated ?? PartUpdated(), eventId, timestamp, "material-service"),
            new SyncPartReference(Tables));

    private Task<ProcessingResult> Create(string workOrderId, string partId = PartId, string partNumber = PartNumber, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCreated, Tenant, WorkOrderCreated(workOrderId, "WO-" + workOrderId, partId, partNumber), "created-" + workOrderId),
            new ReserveMaterial(Tables));

    private Task Complete(string workOrderId) =>
        Pipeline.ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCompleted, Tenant, WorkOrderCompleted(workOrderId, "WO-" + workOrderId), "completed-" + workOrderId),
            new UpdateInventory(Tables));

    private async Task<CachedPart> Cached(string workOrderId) => (await new WorkOrderDocuments(Tables).GetAsync(Tenant, workOrderId, CancellationToken.None))!.Part;

    private Task<PartReference?> Reference(string partId = PartId) => new PartReferences(Tables).GetAsync(Tenant, partId, CancellationToken.None);

    [Fact]
    public async Task A_part_update_refreshes_the_reference_and_every_open_work_order_of_the_part_only()
    {
        await Create("wo-1");
        await Create("wo-2");
        await Create("wo-done");
        await Complete("wo-done");
        await Create("wo-other", "P-1234", "P-1234"); // an id that begins like P-12345's must not match

        var result = await Update();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
        var stamp = new EventStamp(new DateTimeOffset(2025, 10, 20, 10, 0, 0, TimeSpan.Zero), "evt-part-1");
        var refreshed = new CachedPart { PartNumber = PartNumber, PartName = "Landing Gear Strut, Mk II", Revision = "D", Stamp = stamp };
        Assert.Equal(refreshed, await Cached("wo-1"));
        Assert.Equal(refreshed, await Cached("wo-2"));
        Assert.Equal(new CachedPart { PartNumber = PartNumber }, await Cached("wo-done")); // completed: keeps its history
        Assert.Equal(new CachedPart { PartNumber = "P-1234" }, await Cached("wo-other"));
        Assert.Equal(new PartReference { PartId = PartId, PartNumber = PartNumber, PartName = "Landing Gear Strut, Mk II", Revision = "D", Stamp = stamp },
            await Reference());
    }

    [Fact]
    public async Task A_renumbered_part_shows_its_new_number_on_open_work_orders()
    {
        await Create("wo-1");

        await Update(PartUpdated("Landing Gear Strut", partNumber: "P-99999"));

        Assert.Equal(("P-99999", "Landing Gear Strut"), ((await Cached("wo-1")).PartNumber, (await Cached("wo-1")).PartName));
    }

    [Fact]
    public async Task An_older_update_arriving_late_changes_neither_the_reference_nor_the_work_orders()
    {
        await Create("wo-1");
        await Update(PartUpdated("Newest name"), "evt-part-2", "2025-10-21T10:00:00.000Z");

        var late = await Update(PartUpdated("Older name"), "evt-part-1", "2025-10-20T10:00:00.000Z");

        Assert.Equal(ProcessingStatus.Completed, late.Status);
        Assert.Equal("Newest name", (await Reference())!.PartName);
        Assert.Equal("Newest name", (await Cached("wo-1")).PartName);
    }

    [Fact]
    public async Task A_work_order_created_after_the_update_caches_the_updated_part()
    {
        await Update();

        await Create("wo-1");

        Assert.Equal("Landing Gear Strut, Mk II", (await Cached("wo-1")).PartName);
    }

    [Fact]
    public async Task Fields_an_update_does_not_state_are_kept()
    {
        var first = PartUpdated(revision: "C");
        first["changes"]!["unitOfMeasure"] = "EA";
        await Update(first);

        await Update(PartUpdated("Strut", revision: null), "evt-part-2", "2025-10-21T10:00:00.000Z");

        var reference = await Reference();
        Assert.Equal(("Strut", "C", "EA"), (reference!.PartName, reference.Revision, reference.UnitOfMeasure));
    }

    [Fact]
    public async Task A_duplicate_replays_nothing_and_changes_nothing()
    {
        await Create("wo-1");
        await Update();
        var before = await Cached("wo-1");

        var duplicate = await Update();
        var rerun = await Update(pipeline: OrderToCashEvents.Harness(Tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(before, await Cached("wo-1"));
    }

    [Theory]
    [InlineData("partName", "partName must not be blank.")]
    [InlineData("partNumber", "partNumber must not be blank.")]
    public async Task A_blank_part_field_is_dead_lettered(string field, string message)
    {
        var updated = PartUpdated();
        updated[field] = " ";

        var result = await Update(updated);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, $"$.data.{field}"), result.Error);
        Assert.Null(await Reference());
    }

    [Fact]
    public async Task Work_orders_created_while_the_part_is_updated_all_end_with_the_update()
    {
        var ids = Enumerable.Range(0, 10).Select(i => $"wo-{i}").ToArray();

        var creations = ids.Select(id => UntilSettled(() => Create(id, pipeline: OrderToCashEvents.Harness(Tables))));
        var update = UntilSettled(() => Update(pipeline: OrderToCashEvents.Harness(Tables)));
        var results = await Task.WhenAll(creations.Append(update));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        foreach (var id in ids) Assert.Equal("Landing Gear Strut, Mk II", (await Cached(id)).PartName);
    }
}
