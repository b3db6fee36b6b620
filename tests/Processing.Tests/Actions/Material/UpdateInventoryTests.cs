using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Material;
using EventProcessors.Processing.Actions.Material.State;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.TestSupport.MesEvents;

namespace EventProcessors.Processing.Tests.Actions.Material;

public sealed class UpdateInventoryOnAzurite(AzuriteFixture azurite) : UpdateInventoryTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class UpdateInventoryInMemory : UpdateInventoryTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class UpdateInventoryTests : ActionTests
{
    private static readonly DateTimeOffset CompletedAt = new(2025, 10, 19, 16, 0, 0, TimeSpan.Zero);

    private Task<ProcessingResult> Complete(JsonObject? completed = null, string eventId = "evt-completed-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCompleted, Tenant, completed ?? WorkOrderCompleted(), eventId, source: "work-order-service"),
            new UpdateInventory(Tables));

    private Task<ProcessingResult> Create(JsonObject created, string eventId) =>
        Pipeline.ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCreated, Tenant, created, eventId, source: "work-order-service"), new ReserveMaterial(Tables));

    private Task<PartInventory?> Inventory(string partId = PartId) => new MaterialInventory(Tables).GetAsync(Tenant, partId, CancellationToken.None);

    private Task<IReadOnlyList<InventoryBooking>> Bookings(string partId = PartId) => new MaterialInventory(Tables).BookingsAsync(Tenant, partId, CancellationToken.None);

    private Task<WorkOrderDocument?> WorkOrder(string id = WorkOrderId) => new WorkOrderDocuments(Tables).GetAsync(Tenant, id, CancellationToken.None);

    [Fact]
    public async Task The_completed_quantity_not_the_rejected_is_booked_into_stock_and_the_work_order_closes()
    {
        await Create(WorkOrderCreated(), "evt-created-1");

        var result = await Complete();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var adjusted = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.MaterialInventoryAdjusted, PartId), (adjusted.Type, adjusted.PartitionKey));
        Assert.Equal(new MaterialInventoryAdjusted
        {
            PartId = PartId, PartNumber = PartNumber, QuantityChange = 100m, QuantityOnHand = 100m, Reason = "PRODUCTION_COMPLETED",
            WorkOrderId = WorkOrderId, LotNumber = "LOT-FG-001", AdjustedAt = CompletedAt,
        }, adjusted.Payload<MaterialInventoryAdjusted>());
        Assert.Equal(
        [
            new InventoryAdjustment
            {
                AdjustmentId = DerivedIds.Uuid("inventory-adjustment", Tenant, "PRODUCTION_COMPLETED", WorkOrderId), TenantId = Tenant,
                PartId = PartId, PartNumber = PartNumber, Reason = "PRODUCTION_COMPLETED", WorkOrderId = WorkOrderId, LotNumber = "LOT-FG-001",
                QuantityChange = 100m, QuantityOnHand = 100m, AdjustedAt = CompletedAt,
            },
        ], result.Rows<InventoryAdjustment>());
        Assert.Equal(100m, (await Inventory())!.QuantityOnHand);
        Assert.Equal(CompletedAt, (await WorkOrder())!.CompletedAt);
    }

    [Fact]
    public async Task Work_orders_of_one_part_add_up()
    {
        await Complete();
        var second = await Complete(WorkOrderCompleted("wo-456", "WO-2025-0002", completed: "7.5", rejected: "0", producedLot: "LOT-FG-002"), "evt-completed-2");

        var payload = Assert.Single(second.Outcome.Events).Payload<MaterialInventoryAdjusted>();
        Assert.Equal((7.5m, 107.5m, "wo-456"), (payload.QuantityChange, payload.QuantityOnHand, payload.WorkOrderId));
        var inventory = await Inventory();
        Assert.Equal(107.5m, inventory!.QuantityOnHand);
        Assert.Equal([(WorkOrderId, 100m, 100m), ("wo-456", 7.5m, 107.5m)], (await Bookings()).Select(b => (b.WorkOrderId, b.Quantity, b.QuantityOnHandAfter)));
    }

    [Fact]
    public async Task Duplicates_replay_and_a_re_sent_completion_books_nothing_more()
    {
        var first = await Complete();
        await Complete(WorkOrderCompleted("wo-456", "WO-2025-0002", completed: "5"), "evt-completed-2");

        var duplicate = await Complete();
        var rerun = await Complete(pipeline: OrderToCashEvents.Harness(Tables)); // crashed after booking, before completing its claim
        var resent = await Complete(eventId: "evt-completed-9");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot()); // still "100 on hand", as when it was booked
        Assert.True(resent.Outcome.IsEmpty);
        Assert.Equal(105m, (await Inventory())!.QuantityOnHand);
    }

    [Fact]
    public async Task A_completion_naming_no_part_waits_for_the_work_orders_creation()
    {
        var early = await Complete(WorkOrderCompleted(partId: null));

        Assert.Equal(ProcessingStatus.Retry, early.Status);
        Assert.Contains("names no part", early.RetryReason);
        Assert.Null(await Inventory());

        await Create(WorkOrderCreated(), "evt-created-1");
        var retried = await Complete(WorkOrderCompleted(partId: null));

        Assert.Equal(ProcessingStatus.Completed, retried.Status);
        var payload = Assert.Single(retried.Outcome.Events).Payload<MaterialInventoryAdjusted>();
        Assert.Equal((PartId, PartNumber, 100m), (payload.PartId, payload.PartNumber, payload.QuantityOnHand));
    }

    [Fact]
    public async Task A_completion_with_nothing_good_books_nothing_but_closes_the_work_order()
    {
        await Create(WorkOrderCreated(), "evt-created-1");

        var result = await Complete(WorkOrderCompleted(completed: "0", rejected: "100"));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
        Assert.Null(await Inventory());
        Assert.False((await WorkOrder())!.IsOpen);
    }

    [Theory]
    [InlineData("-100", "2", "$.data.quantityCompleted", "quantityCompleted must not be negative, but is -100.")]
    [InlineData("0", "0", "$.data.quantityCompleted", "quantityCompleted and quantityRejected are both 0: a completed work order produced something.")]
    public async Task Quantities_that_make_no_sense_are_dead_lettered_and_book_nothing(string completed, string rejected, string path, string message)
    {
        var result = await Complete(WorkOrderCompleted(completed: completed, rejected: rejected));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
        Assert.Null(await Inventory());
        Assert.Null(await WorkOrder());
    }

    [Fact]
    public async Task Concurrent_completions_of_one_part_book_every_quantity_exactly_once()
    {
        var quantities = Enumerable.Range(1, 12).Select(i => i * 10m + i / 4m).ToArray(); // 10.25, 20.5, ...
        var completions = quantities.Select((q, i) => UntilSettled(() =>
            Complete(WorkOrderCompleted($"wo-{i}", $"WO-2025-{i:D4}", completed: q.ToString(System.Globalization.CultureInfo.InvariantCulture), rejected: "0"),
                $"evt-completed-{i}", OrderToCashEvents.Harness(Tables))));

        var results = await Task.WhenAll(completions);

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var inventory = await Inventory();
        Assert.Equal(quantities.Sum(), inventory!.QuantityOnHand);
        var bookings = await Bookings();
        Assert.Equal(12, bookings.Select(b => b.WorkOrderId).Distinct().Count());
        // Each announcement states the running total its booking produced: all distinct, the last one the total.
        var announced = results.Select(r => Assert.Single(r.Outcome.Events).Payload<MaterialInventoryAdjusted>().QuantityOnHand).Order().ToArray();
        Assert.Equal(bookings.Select(b => b.QuantityOnHandAfter).Order(), announced);
        Assert.Equal(quantities.Sum(), announced[^1]);
    }
}
