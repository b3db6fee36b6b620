using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Quality;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.TestSupport.MesEvents;

namespace EventProcessors.Processing.Tests.Actions.Quality;

public sealed class CreateInspectionOnAzurite(AzuriteFixture azurite) : CreateInspectionTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class CreateInspectionInMemory : CreateInspectionTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class CreateInspectionTests : ActionTests
{
    private static readonly DateTimeOffset CompletedAt = new(2025, 10, 19, 16, 0, 0, TimeSpan.Zero);

    private Task<ProcessingResult> Complete(System.Text.Json.Nodes.JsonObject? completed = null, string eventId = "evt-completed-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCompleted, Tenant, completed ?? WorkOrderCompleted(), eventId), new CreateInspection(Tables));

    private string InspectionId(string workOrderId = WorkOrderId) => DerivedIds.Uuid("inspection", Tenant, "FINAL", workOrderId);

    [Fact]
    public async Task A_completed_work_order_gets_a_final_inspection_of_the_completed_quantity()
    {
        var result = await Complete();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.QualityInspectionCreated, WorkOrderId, "evt-completed-1", "corr-mes"),
            (created.Type, created.PartitionKey, created.CausationId, created.CorrelationId));
        Assert.Equal(new QualityInspectionCreated
        {
            InspectionId = InspectionId(), InspectionNumber = "INS-2025-0001", WorkOrderId = WorkOrderId, InspectionType = "FINAL",
            QuantityToInspect = 100m, PartId = PartId, LotNumber = "LOT-FG-001",
        }, created.Payload<QualityInspectionCreated>());
        Assert.Equal(
        [
            new Inspection
            {
                InspectionId = InspectionId(), TenantId = Tenant, InspectionNumber = "INS-2025-0001", InspectionType = "FINAL",
                WorkOrderId = WorkOrderId, WorkOrderNumber = WorkOrderNumber, PartId = PartId, PartNumber = PartNumber, LotNumber = "LOT-FG-001",
                QuantityToInspect = 100m, Status = "PENDING", CreatedAt = CompletedAt,
            },
        ], result.Rows<Inspection>());
    }

    [Fact]
    public async Task Produced_serials_are_named_on_the_inspection_event()
    {
        var completed = WorkOrderCompleted(completed: "2", rejected: "0", producedLot: null);
        completed["producedSerialNumbers"] = new System.Text.Json.Nodes.JsonArray("SN-1", "SN-2");

        var result = await Complete(completed);

        var payload = Assert.Single(result.Outcome.Events).Payload<QualityInspectionCreated>();
        Assert.Equal(["SN-1", "SN-2"], payload.SerialNumbers!);
        Assert.Equal((2m, null), (payload.QuantityToInspect, payload.LotNumber));
    }

    [Fact]
    public async Task Duplicates_replay_and_a_re_sent_completion_opens_no_second_inspection()
    {
        var first = await Complete();

        var duplicate = await Complete();
        var rerun = await Complete(pipeline: OrderToCashEvents.Harness(Tables)); // the worker died before completing its claim
        var resent = await Complete(eventId: "evt-completed-2");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Work_orders_each_get_their_own_inspection()
    {
        var one = await Complete();
        var two = await Complete(WorkOrderCompleted("wo-456", "WO-2025-0002", completed: "5"), eventId: "evt-completed-3");

        Assert.Equal(InspectionId(), Assert.Single(one.Rows<Inspection>()).InspectionId);
        var second = Assert.Single(two.Rows<Inspection>());
        Assert.Equal((InspectionId("wo-456"), "INS-2025-0002", 5m), (second.InspectionId, second.InspectionNumber, second.QuantityToInspect));
    }

    [Fact]
    public async Task Nothing_good_produced_means_nothing_to_inspect()
    {
        var result = await Complete(WorkOrderCompleted(completed: "0", rejected: "12"));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
    }

    [Theory]
    [InlineData("-1", "2", "$.data.quantityCompleted", "quantityCompleted must not be negative, but is -1.")]
    [InlineData("5", "-2", "$.data.quantityRejected", "quantityRejected must not be negative, but is -2.")]
    [InlineData("0", "0", "$.data.quantityCompleted", "quantityCompleted and quantityRejected are both 0: a completed work order produced something.")]
    public async Task Quantities_that_make_no_sense_are_dead_lettered(string completed, string rejected, string path, string message)
    {
        var result = await Complete(WorkOrderCompleted(completed: completed, rejected: rejected));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
    }

    [Fact]
    public async Task A_completion_without_its_quantities_is_dead_lettered_by_the_contract()
    {
        var completed = WorkOrderCompleted();
        completed.Remove("quantityCompleted");

        var result = await Complete(completed);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal((EventErrorCode.MissingField, "$.data.quantityCompleted"), (result.Error!.Code, result.Error.Path));
    }

    [Fact]
    public async Task Other_mes_types_on_the_topic_are_ignored()
    {
        var result = await Pipeline.ProcessAsync(MesEnvelope(EventTypes.Mes.WorkOrderCreated, Tenant, WorkOrderCreated(), "evt-created-1"), new CreateInspection(Tables));

        Assert.Equal(ProcessingStatus.Ignored, result.Status);
    }
}
