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

public sealed class RaiseNonConformanceTests
{
    private const string InspectedAt = "2025-10-19T09:00:00.000Z";

    private readonly ITableServiceClient _tables = new InMemoryTableServiceClient();
    private readonly string _tenant = NewTenant();
    private readonly PipelineHarness _pipeline;

    public RaiseNonConformanceTests() => _pipeline = Harness(_tables);

    private static JsonObject Inspected(string result = "FAIL", decimal rejected = 3m) => Json($$"""
        { "inspectionId": "insp-1", "inspectionNumber": "INS-2025-0001", "workOrderId": "wo-123", "result": "{{result}}",
          "quantityInspected": 100, "quantityAccepted": {{100m - rejected}}, "quantityRejected": {{rejected}}, "ncrGenerated": false,
          "inspectedBy": "qa-1", "inspectionDate": "2025-10-19T08:55:00.000Z", "partId": "P-1", "lotNumber": "LOT-FG-1" }
        """);

    private Task<ProcessingResult> Inspect(JsonObject? data = null, string eventId = "evt-insp-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? _pipeline).ProcessAsync(Mes(EventTypes.Mes.QualityInspectionCompleted, _tenant, data ?? Inspected(), eventId, InspectedAt), new RaiseNonConformance(_tables));

    private string NcrId => DerivedIds.Uuid("ncr", _tenant, "insp-1");

    [Fact]
    public async Task Failed_inspection_raises_an_ncr_for_the_rejected_quantity()
    {
        var result = await Inspect();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.QualityNcrCreated, NcrId), (created.Type, created.PartitionKey));
        const string description = "3 of 100 rejected in inspection INS-2025-0001";
        Assert.Equal(new QualityNcrCreated
        {
            NcrId = NcrId, NcrNumber = "NCR-2025-0001", InspectionId = "insp-1", WorkOrderId = "wo-123", QuantityRejected = 3m,
            Description = description, PartId = "P-1", LotNumber = "LOT-FG-1",
        }, created.Payload<QualityNcrCreated>());
        Assert.Equal(
        [
            new Ncr
            {
                NcrId = NcrId, TenantId = _tenant, NcrNumber = "NCR-2025-0001", InspectionId = "insp-1", InspectionNumber = "INS-2025-0001",
                WorkOrderId = "wo-123", QuantityRejected = 3m, Description = description, PartId = "P-1", LotNumber = "LOT-FG-1",
                Status = "OPEN", CreatedAt = DateTimeOffset.Parse(InspectedAt),
            },
        ], result.Rows<Ncr>());
    }

    [Fact]
    public async Task Passed_inspection_raises_nothing()
    {
        var result = await Inspect(Inspected(result: "PASS", rejected: 0m));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
        Assert.Null(await new DocumentOrigins(_tables).GetAsync(_tenant, "ncr", "insp-1", CancellationToken.None));
    }

    [Fact]
    public async Task Duplicate_replays_re_run_repeats_and_a_re_sent_failure_raises_no_second_ncr()
    {
        var first = await Inspect();

        var duplicate = await Inspect();
        var rerun = await Inspect(pipeline: Harness(_tables));
        var resent = await Inspect(eventId: "evt-insp-1-resent");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Failure_without_rejected_quantity_is_dead_lettered()
    {
        var results = new[] { await Inspect(Inspected(rejected: 0m)), await Inspect(Inspected(result: "PASS", rejected: -1m), "evt-insp-2") };

        Assert.All(results, r => Assert.Equal(ProcessingStatus.DeadLettered, r.Status));
        Assert.Equal(
        [
            new EventError(EventErrorCode.InvalidValue, "quantityRejected must be positive, but is 0.", "$.data.quantityRejected"),
            new EventError(EventErrorCode.InvalidValue, "quantityRejected must not be negative, but is -1.", "$.data.quantityRejected"),
        ], results.Select(r => r.Error));
        Assert.Null(await new DocumentOrigins(_tables).GetAsync(_tenant, "ncr", "insp-1", CancellationToken.None));
    }
}
