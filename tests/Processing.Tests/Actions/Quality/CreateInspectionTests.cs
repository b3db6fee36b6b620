using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Quality;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.Processing.Tests.Actions.MesEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Quality;

public sealed class CreateInspectionTests
{
    private const string CompletedAt = "2025-10-19T08:00:00.000Z";

    private readonly ITableServiceClient _tables = new InMemoryTableServiceClient();
    private readonly string _tenant = NewTenant();
    private readonly PipelineHarness _pipeline;

    public CreateInspectionTests() => _pipeline = Harness(_tables);

    private static JsonObject Completed(decimal completed = 100m, decimal rejected = 2m) => Json($$"""
        { "workOrderId": "wo-123", "workOrderNumber": "WO-2025-0001", "quantityCompleted": {{completed}}, "quantityRejected": {{rejected}},
          "completedAt": "2025-10-19T07:59:00.000Z", "completedBy": "test-user", "partId": "P-1", "producedLotNumber": "LOT-FG-1" }
        """);

    private Task<ProcessingResult> Complete(JsonObject? data = null, string eventId = "evt-wo-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? _pipeline).ProcessAsync(Mes(EventTypes.Mes.WorkOrderCompleted, _tenant, data ?? Completed(), eventId, CompletedAt), new CreateInspection(_tables));

    private string InspectionId => DerivedIds.Uuid("inspection", _tenant, "wo-123");

    [Fact]
    public async Task Completed_work_order_gets_a_final_inspection_of_the_completed_quantity()
    {
        var result = await Complete();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.QualityInspectionCreated, "wo-123"), (created.Type, created.PartitionKey));
        Assert.Equal(new QualityInspectionCreated
        {
            InspectionId = InspectionId, InspectionNumber = "INS-2025-0001", WorkOrderId = "wo-123", InspectionType = "FINAL",
            QuantityToInspect = 100m, PartId = "P-1", LotNumber = "LOT-FG-1",
        }, created.Payload<QualityInspectionCreated>());
        Assert.Equal(
        [
            new Inspection
            {
                InspectionId = InspectionId, TenantId = _tenant, InspectionNumber = "INS-2025-0001", WorkOrderId = "wo-123", WorkOrderNumber = "WO-2025-0001",
                InspectionType = "FINAL", QuantityToInspect = 100m, PartId = "P-1", LotNumber = "LOT-FG-1", Status = "PENDING",
                CreatedAt = DateTimeOffset.Parse(CompletedAt),
            },
        ], result.Rows<Inspection>());
    }

    [Fact]
    public async Task Duplicate_replays_re_run_repeats_and_a_re_sent_completion_creates_no_second_inspection()
    {
        var first = await Complete();

        var duplicate = await Complete();
        var rerun = await Complete(pipeline: Harness(_tables));
        var resent = await Complete(eventId: "evt-wo-1-resent");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Nothing_completed_or_negative_rejects_are_dead_lettered()
    {
        var results = new[] { await Complete(Completed(completed: 0m)), await Complete(Completed(rejected: -1m), "evt-wo-2") };

        Assert.All(results, r => Assert.Equal(ProcessingStatus.DeadLettered, r.Status));
        Assert.Equal(
        [
            new EventError(EventErrorCode.InvalidValue, "quantityCompleted must be positive, but is 0.", "$.data.quantityCompleted"),
            new EventError(EventErrorCode.InvalidValue, "quantityRejected must not be negative, but is -1.", "$.data.quantityRejected"),
        ], results.Select(r => r.Error));
    }
}
