using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Material;
using EventProcessors.Processing.Actions.WorkOrders;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.Material;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.MesEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.WorkOrders;

public sealed class SyncPartReferenceOnAzurite(AzuriteFixture azurite) : SyncPartReferenceTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class SyncPartReferenceInMemory : SyncPartReferenceTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class SyncPartReferenceTests
{
    private readonly string _tenant = NewTenant();
    private PipelineHarness? _harness;

    protected abstract ITableServiceClient Tables { get; }

    private PipelineHarness Pipeline => _harness ??= Harness(Tables);

    private static JsonObject PartUpdated(string partNumber = "P-99999", string partName = "Landing Gear Strut Mk2", string partId = "P-12345") => Json($$"""
        { "partId": "{{partId}}", "partNumber": "{{partNumber}}", "partName": "{{partName}}",
          "changes": { "partNumber": "{{partNumber}}", "partName": "{{partName}}" }, "previousValues": { "partNumber": "P-12345" } }
        """);

    private Task<ProcessingResult> Update(JsonObject? data = null, string eventId = "evt-part-1", string timestamp = "2025-10-20T09:00:00Z", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Mes(EventTypes.Mes.MaterialPartUpdated, _tenant, data ?? PartUpdated(), eventId, timestamp), new SyncPartReference(Tables));

    private async Task CreateWorkOrder(string workOrderId, string partId = "P-12345", string timestamp = "2025-10-19T08:00:00.000Z") =>
        Assert.Equal(ProcessingStatus.Completed, (await Pipeline.ProcessAsync(
            Mes(EventTypes.Mes.WorkOrderCreated, _tenant, ReserveMaterialTests.Created(workOrderId, partId: partId, partNumber: partId), $"evt-create-{workOrderId}", timestamp),
            new ReserveMaterial(Tables))).Status);

    private async Task<(string PartNumber, string? PartName, string Status)> Cached(string workOrderId)
    {
        var workOrder = (await new WorkOrderStore(Tables).GetAsync(_tenant, workOrderId, CancellationToken.None))!;
        return (workOrder.PartNumber, workOrder.PartName, workOrder.Status);
    }

    [Fact]
    public async Task Part_update_refreshes_every_open_work_order_of_the_part_and_leaves_completed_and_other_parts_alone()
    {
        await CreateWorkOrder("wo-open-1");
        await CreateWorkOrder("wo-open-2");
        await CreateWorkOrder("wo-done");
        await CreateWorkOrder("wo-other", partId: "P-123456");
        await new WorkOrderStore(Tables).CompleteAsync(_tenant, "wo-done", CancellationToken.None);

        var result = await Update();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
        Assert.Equal(("P-99999", "Landing Gear Strut Mk2", "OPEN"), await Cached("wo-open-1"));
        Assert.Equal(("P-99999", "Landing Gear Strut Mk2", "OPEN"), await Cached("wo-open-2"));
        Assert.Equal(("P-12345", "Landing Gear Strut", "COMPLETED"), await Cached("wo-done"));
        Assert.Equal(("P-123456", "Landing Gear Strut", "OPEN"), await Cached("wo-other"));
        var part = (await new WorkOrderStore(Tables).GetPartAsync(_tenant, "P-12345", CancellationToken.None))!;
        Assert.Equal(("P-99999", "Landing Gear Strut Mk2"), (part.PartNumber, part.PartName));
    }

    [Fact]
    public async Task An_older_update_does_not_overwrite_a_newer_one()
    {
        await CreateWorkOrder("wo-1");

        await Update(PartUpdated("P-NEW", "New"), "evt-new", "2025-10-20T10:00:00Z");
        await Update(PartUpdated("P-OLD", "Old"), "evt-old", "2025-10-20T09:00:00Z");

        Assert.Equal(("P-NEW", "New", "OPEN"), await Cached("wo-1"));
    }

    [Fact]
    public async Task A_work_order_created_after_a_newer_part_update_caches_the_updated_part()
    {
        await Update(timestamp: "2025-10-20T09:00:00Z");

        await CreateWorkOrder("wo-late", timestamp: "2025-10-20T08:00:00Z");

        Assert.Equal(("P-99999", "Landing Gear Strut Mk2", "OPEN"), await Cached("wo-late"));
    }

    [Fact]
    public async Task Duplicate_and_re_run_change_nothing_more()
    {
        await CreateWorkOrder("wo-1");
        await Update();

        var duplicate = await Update();
        var rerun = await Update(pipeline: Harness(Tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(("P-99999", "Landing Gear Strut Mk2", "OPEN"), await Cached("wo-1"));
    }

    [Fact]
    public async Task Blank_part_name_is_dead_lettered()
    {
        var result = await Update(PartUpdated(partName: ""));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "partName must not be blank.", "$.data.partName"), result.Error);
        Assert.Null(await new WorkOrderStore(Tables).GetPartAsync(_tenant, "P-12345", CancellationToken.None));
    }
}
