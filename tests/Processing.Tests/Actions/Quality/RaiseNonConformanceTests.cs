using System.Text.Json.Nodes;
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

public sealed class RaiseNonConformanceOnAzurite(AzuriteFixture azurite) : RaiseNonConformanceTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class RaiseNonConformanceInMemory : RaiseNonConformanceTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class RaiseNonConformanceTests : ActionTests
{
    private Task<ProcessingResult> Inspect(JsonObject? inspection = null, string eventId = "evt-inspected-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(MesEnvelope(EventTypes.Mes.QualityInspectionCompleted, Tenant, inspection ?? InspectionCompleted(), eventId, source: "quality-service"),
            new RaiseNonConformance(Tables));

    private string NcrId(string inspectionId = "insp-1") => DerivedIds.Uuid("ncr", Tenant, inspectionId);

    [Fact]
    public async Task A_failed_inspection_opens_an_ncr_for_the_rejected_quantity()
    {
        var result = await Inspect();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.QualityNcrCreated, NcrId()), (created.Type, created.PartitionKey));
        const string description = "Inspection INS-2025-0001 of work order wo-123 failed: 3 of 98 rejected.";
        Assert.Equal(new QualityNcrCreated
        {
            NcrId = NcrId(), NcrNumber = "NCR-2025-0001", InspectionId = "insp-1", WorkOrderId = WorkOrderId, QuantityRejected = 3m,
            Description = description, PartId = PartId, LotNumber = "LOT-FG-001",
        }, created.Payload<QualityNcrCreated>());
        Assert.Equal(
        [
            new Ncr
            {
                NcrId = NcrId(), TenantId = Tenant, NcrNumber = "NCR-2025-0001", InspectionId = "insp-1", InspectionNumber = "INS-2025-0001",
                WorkOrderId = WorkOrderId, PartId = PartId, LotNumber = "LOT-FG-001", QuantityInspected = 98m, QuantityRejected = 3m,
                Description = description, Status = "OPEN", DetectedBy = "qa-2", DetectedAt = new DateTimeOffset(2025, 10, 20, 9, 0, 0, TimeSpan.Zero),
            },
        ], result.Rows<Ncr>());
    }

    [Fact]
    public async Task A_passed_inspection_raises_nothing_even_with_some_parts_rejected()
    {
        var clean = await Inspect(InspectionCompleted("PASS", "98", "98", "0"));
        var withRejects = await Inspect(InspectionCompleted("PASS", "98", "97", "1", inspectionId: "insp-2"), eventId: "evt-inspected-2");

        Assert.All(new[] { clean, withRejects }, r =>
        {
            Assert.Equal(ProcessingStatus.Completed, r.Status);
            Assert.True(r.Outcome.IsEmpty);
        });
    }

    [Fact]
    public async Task Duplicates_replay_and_a_re_sent_failure_opens_no_second_ncr()
    {
        var first = await Inspect();

        var duplicate = await Inspect();
        var rerun = await Inspect(pipeline: OrderToCashEvents.Harness(Tables));
        var resent = await Inspect(eventId: "evt-inspected-9");
        var otherInspection = await Inspect(InspectionCompleted(inspectionId: "insp-2", inspectionNumber: "INS-2025-0002"), eventId: "evt-inspected-10");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.True(resent.Outcome.IsEmpty);
        Assert.Equal((NcrId("insp-2"), "NCR-2025-0002"), (Assert.Single(otherInspection.Rows<Ncr>()).NcrId, otherInspection.Rows<Ncr>()[0].NcrNumber));
    }

    [Theory]
    [InlineData("98", "98", "0", "$.data.quantityRejected", "A FAIL inspection must reject something, but quantityRejected is 0.")]
    [InlineData("98", "101", "-3", "$.data.quantityRejected", "quantityRejected must be positive, but is -3.")]
    [InlineData("98", "-1", "3", "$.data.quantityAccepted", "quantityAccepted must not be negative, but is -1.")]
    [InlineData("100", "95", "3", "$.data.quantityInspected", "quantityInspected (100) must equal quantityAccepted (95) plus quantityRejected (3).")]
    public async Task A_failure_whose_quantities_make_no_sense_is_dead_lettered(string inspected, string accepted, string rejected, string path, string message)
    {
        var result = await Inspect(InspectionCompleted("FAIL", inspected, accepted, rejected));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
    }

    [Fact]
    public async Task A_result_other_than_pass_or_fail_is_dead_lettered_by_the_contract()
    {
        var result = await Inspect(InspectionCompleted("MAYBE"));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal((EventErrorCode.MistypedField, "$.data.result"), (result.Error!.Code, result.Error.Path));
    }
}
