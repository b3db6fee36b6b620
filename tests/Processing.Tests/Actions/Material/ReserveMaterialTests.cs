using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
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

namespace EventProcessors.Processing.Tests.Actions.Material;

public sealed class ReserveMaterialOnAzurite(AzuriteFixture azurite) : ReserveMaterialTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class ReserveMaterialInMemory : ReserveMaterialTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class ReserveMaterialTests : ActionTests
{
    private static readonly DateTimeOffset CreatedAt = new(2025, 10, 19, 10, 0, 0, TimeSpan.Zero);

    private Task<ProcessingResult> Create(JsonObject? created = null, string eventId = "evt-created-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCreated, Tenant, created ?? WorkOrderCreated(), eventId, source: "work-order-service"),
            new ReserveMaterial(Tables));

    private Task<WorkOrderDocument?> WorkOrder(string id = WorkOrderId) => new WorkOrderDocuments(Tables).GetAsync(Tenant, id, CancellationToken.None);

    private string ReservationId(string workOrderId = WorkOrderId) => DerivedIds.Uuid("material-reservation", Tenant, workOrderId);

    [Fact]
    public async Task A_work_order_without_a_bill_of_materials_reserves_its_part_for_its_quantity()
    {
        var result = await Create();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var reserved = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.MaterialReserved, WorkOrderId, "evt-created-1"), (reserved.Type, reserved.PartitionKey, reserved.CausationId));
        var payload = reserved.Payload<MaterialReserved>();
        Assert.Equal((WorkOrderId, WorkOrderNumber), (payload.WorkOrderId, payload.WorkOrderNumber));
        Assert.Equal([new MaterialReservationLine { PartId = PartId, PartNumber = PartNumber, Quantity = 100m }], payload.Lines);
        Assert.Equal(
        [
            new ReservationLine
            {
                ReservationId = ReservationId(), LineNumber = 1, TenantId = Tenant, WorkOrderId = WorkOrderId, WorkOrderNumber = WorkOrderNumber,
                PartId = PartId, PartNumber = PartNumber, Quantity = 100m, ReservedAt = CreatedAt,
            },
        ], result.Rows<ReservationLine>());

        var stored = await WorkOrder();
        Assert.NotNull(stored);
        Assert.True(stored.IsOpen);
        Assert.Equal(new CachedPart { PartNumber = PartNumber }, stored.Part);
        Assert.Equal((PartId, 100m, "HIGH", CreatedAt, new DateTimeOffset(2025, 11, 1, 0, 0, 0, TimeSpan.Zero)),
            (stored.PartId, stored.Quantity, stored.Priority, stored.CreatedAt, stored.DueDate));
        Assert.Equal("evt-created-1", stored.Reservation!.EventId);
    }

    [Fact]
    public async Task A_bill_of_materials_is_reserved_line_by_line()
    {
        var created = WorkOrderCreated(quantity: "10");
        created["materials"] = JsonNode.Parse("""
            [
              { "partId": "raw-7", "partNumber": "RM-7", "quantity": 20.5 },
              { "partId": "bolt-1", "partNumber": "B-1", "quantity": 40, "lotNumber": "LOT-B-9" }
            ]
            """);

        var result = await Create(created);

        Assert.Equal(
        [
            new MaterialReservationLine { PartId = "raw-7", PartNumber = "RM-7", Quantity = 20.5m },
            new MaterialReservationLine { PartId = "bolt-1", PartNumber = "B-1", Quantity = 40m, LotNumber = "LOT-B-9" },
        ], Assert.Single(result.Outcome.Events).Payload<MaterialReserved>().Lines);
        Assert.Equal([(1, "raw-7", 20.5m, (string?)null), (2, "bolt-1", 40m, "LOT-B-9")],
            result.Rows<ReservationLine>().Select(r => (r.LineNumber, r.PartId, r.Quantity, r.LotNumber)));
    }

    [Fact]
    public async Task The_part_reference_already_known_is_cached_on_the_new_work_order()
    {
        await Pipeline.ProcessAsync(MesEnvelope(EventTypes.Mes.MaterialPartUpdated, Tenant, PartUpdated("Landing Gear Strut"), "evt-part-1", "2025-10-01T00:00:00.000Z"),
            new SyncPartReference(Tables));

        await Create();

        var part = (await WorkOrder())!.Part;
        Assert.Equal(("Landing Gear Strut", "D", "evt-part-1"), (part.PartName, part.Revision, part.Stamp!.EventId));
    }

    [Fact]
    public async Task Duplicates_replay_and_a_re_sent_creation_reserves_nothing_more()
    {
        var first = await Create();
        var stored = await WorkOrder();

        var duplicate = await Create();
        var rerun = await Create(pipeline: OrderToCashEvents.Harness(Tables)); // the worker died before completing its claim
        var resent = await Create(WorkOrderCreated(quantity: "999"), eventId: "evt-created-2");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
        var after = await WorkOrder();
        Assert.Equal(stored!.Quantity, after!.Quantity);
        Assert.Equal(stored.Reservation!.Lines, after.Reservation!.Lines);
    }

    [Fact]
    public async Task A_work_order_completed_before_its_creation_was_processed_reserves_nothing()
    {
        await Pipeline.ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCompleted, Tenant, WorkOrderCompleted(), "evt-completed-1"), new UpdateInventory(Tables));

        var late = await Create();

        Assert.Equal(ProcessingStatus.Completed, late.Status);
        Assert.True(late.Outcome.IsEmpty);
        var stored = await WorkOrder();
        Assert.False(stored!.IsOpen);
        Assert.Null(stored.Reservation);
        Assert.Equal((100m, CreatedAt, PartNumber), (stored.Quantity, stored.CreatedAt, stored.Part.PartNumber));
    }

    [Theory]
    [InlineData("0", "$.data.quantity", "quantity must be positive, but is 0.")]
    [InlineData("-5", "$.data.quantity", "quantity must be positive, but is -5.")]
    public async Task A_quantity_that_makes_no_sense_is_dead_lettered_and_stores_nothing(string quantity, string path, string message)
    {
        var result = await Create(WorkOrderCreated(quantity: quantity));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
        Assert.Null(await WorkOrder());
    }

    [Theory]
    [InlineData("[]", "$.data.materials", "materials must not be empty.")]
    [InlineData("""[{ "partId": "raw-7", "partNumber": "RM-7", "quantity": 0 }]""", "$.data.materials[0].quantity", "quantity must be positive, but is 0.")]
    [InlineData("""[{ "partId": "raw-7", "partNumber": "RM-7", "quantity": 1 }, { "partId": " ", "partNumber": "B-1", "quantity": 1 }]""",
        "$.data.materials[1].partId", "partId must not be blank.")]
    [InlineData("""[{ "partId": "raw-7", "partNumber": "RM-7", "quantity": 1, "lotNumber": "" }]""", "$.data.materials[0].lotNumber", "lotNumber must not be blank.")]
    public async Task A_bill_of_materials_that_makes_no_sense_is_dead_lettered(string materials, string path, string message)
    {
        var created = WorkOrderCreated();
        created["materials"] = JsonNode.Parse(materials);

        var result = await Create(created);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
        Assert.Null(await WorkOrder());
    }
}
