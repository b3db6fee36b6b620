using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Traceability;
using EventProcessors.Processing.Actions.Traceability.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.MesEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Traceability;

public sealed class RecordGenealogyOnAzurite(AzuriteFixture azurite) : RecordGenealogyTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class RecordGenealogyInMemory : RecordGenealogyTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class RecordGenealogyTests
{
    private const string At = "2025-10-19T08:00:00Z";

    private readonly string _tenant = NewTenant();
    private PipelineHarness? _harness;

    protected abstract ITableServiceClient Tables { get; }

    private PipelineHarness Pipeline => _harness ??= Harness(Tables);

    private GenealogyStore Genealogy => new(Tables);

    private Task<ProcessingResult> Send(string type, JsonObject data, string eventId, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Mes(type, _tenant, data, eventId), new RecordGenealogy(Tables));

    private Task<ProcessingResult> Receive(string lot, decimal quantity = 500m, string eventId = "evt-rcv") =>
        Send(EventTypes.Mes.MaterialReceived, Json($$"""
            { "lotNumber": "{{lot}}", "partId": "RM", "partNumber": "RM-1", "quantity": {{quantity}}, "receivedAt": "{{At}}", "receivedBy": "wh-1" }
            """), eventId);

    private Task<ProcessingResult> Issue(string lot, string workOrderId, decimal quantity = 10m, string? eventId = null, string[]? serials = null, PipelineHarness? pipeline = null)
    {
        var data = Json($$"""
            { "workOrderId": "{{workOrderId}}", "lotNumber": "{{lot}}", "partId": "RM", "partNumber": "RM-1", "quantity": {{quantity}},
              "issuedAt": "{{At}}", "issuedBy": "wh-1" }
            """);
        if (serials is not null) data["serialNumbers"] = new JsonArray(serials.Select(s => (JsonNode)s).ToArray());
        return Send(EventTypes.Mes.MaterialIssued, data, eventId ?? $"evt-issue-{lot}-{workOrderId}", pipeline);
    }

    private Task<ProcessingResult> Complete(string workOrderId, string? producedLot, string[]? serials = null, JsonArray? consumed = null,
        string? eventId = null, PipelineHarness? pipeline = null)
    {
        var data = Json($$"""
            { "workOrderId": "{{workOrderId}}", "workOrderNumber": "WO-{{workOrderId}}", "quantityCompleted": 10, "quantityRejected": 0,
              "completedAt": "{{At}}", "completedBy": "op-1", "partId": "FG" }
            """);
        if (producedLot is not null) data["producedLotNumber"] = producedLot;
        if (serials is not null) data["producedSerialNumbers"] = new JsonArray(serials.Select(s => (JsonNode)s).ToArray());
        if (consumed is not null) data["consumedLots"] = consumed;
        return Send(EventTypes.Mes.WorkOrderCompleted, data, eventId ?? $"evt-done-{workOrderId}", pipeline);
    }

    [Fact]
    public async Task Received_material_records_a_traceability_event()
    {
        var result = await Receive("RM-LOT-1");

        var id = DerivedIds.Uuid("traceability-event", _tenant, result.Event!.Id);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.TraceabilityEventCreated, "RM-LOT-1"), (created.Type, created.PartitionKey));
        Assert.Equal(new TraceabilityEventCreated
        {
            TraceabilityEventId = id, Activity = TraceabilityActivity.Received, SourceEventId = result.Event.Id, PartId = "RM", LotNumber = "RM-LOT-1",
            Quantity = 500m, OccurredAt = DateTimeOffset.Parse(At),
        }, created.Payload<TraceabilityEventCreated>());
        Assert.Equal(
        [
            new TraceabilityEvent
            {
                TraceabilityEventId = id, TenantId = _tenant, Activity = "RECEIVED", SourceEventId = result.Event.Id, PartId = "RM", LotNumber = "RM-LOT-1",
                Quantity = 500m, OccurredAt = DateTimeOffset.Parse(At),
            },
        ], result.Rows<TraceabilityEvent>());
    }

    [Fact]
    public async Task Completion_links_consumed_and_issued_lots_to_the_produced_lot_and_emits_its_genealogy()
    {
        await Issue("RM-A", "wo-1", 4m);
        var consumed = new JsonArray(new JsonObject { ["lotNumber"] = "RM-B", ["partId"] = "RM", ["quantity"] = 6 });

        var result = await Complete("wo-1", "FG-1", ["SN-1"], consumed);

        Assert.Equal([EventTypes.Mes.TraceabilityEventCreated, EventTypes.Mes.TraceabilityLotGenealogyUpdated], result.Outcome.Events.Select(e => e.Type));
        var traced = result.Outcome.Events[0].Payload<TraceabilityEventCreated>();
        Assert.Equal((TraceabilityActivity.Produced, "FG-1", "wo-1", 10m), (traced.Activity, traced.LotNumber, traced.WorkOrderId, traced.Quantity));
        Assert.Equal(["SN-1"], traced.SerialNumbers!);
        var genealogy = result.Outcome.Events[1].Payload<TraceabilityLotGenealogyUpdated>();
        Assert.Equal(("FG-1", "FG", "wo-1"), (genealogy.LotNumber, genealogy.PartId, genealogy.WorkOrderId));
        Assert.Equal([new ConsumedLot { LotNumber = "RM-B", PartId = "RM", Quantity = 6m }, new ConsumedLot { LotNumber = "RM-A", Quantity = 4m }], genealogy.ParentLots);
        Assert.Equal("SN-1", Assert.Single(result.Rows<TraceabilityEvent>()).SerialNumbers);
    }

    [Fact]
    public async Task Material_issued_after_the_completion_updates_the_produced_lot_genealogy()
    {
        await Complete("wo-1", "FG-1");

        var result = await Issue("RM-LATE", "wo-1", 3m);

        var genealogy = Assert.Single(result.Outcome.Events, e => e.Type == EventTypes.Mes.TraceabilityLotGenealogyUpdated).Payload<TraceabilityLotGenealogyUpdated>();
        Assert.Equal(("FG-1", "wo-1"), (genealogy.LotNumber, genealogy.WorkOrderId));
        Assert.Equal([new ConsumedLot { LotNumber = "RM-LATE", PartId = "RM", PartNumber = "RM-1", Quantity = 3m }], genealogy.ParentLots);
        Assert.Equal(new RecallOutputs(["FG-1"], []), await Genealogy.OutputsContainingLotAsync(_tenant, "RM-LATE", CancellationToken.None), Recall.Comparer);
    }

    [Fact]
    public async Task Recall_answers_both_questions_through_intermediate_lots()
    {
        // RM-1 -> WO-A -> SUB-1; SUB-1 + RM-2 -> WO-B -> FG-1 (SN-1, SN-2); RM-2 -> WO-C -> FG-2 (SN-3); component serial C-9 -> WO-B.
        await Receive("RM-1");
        await Issue("RM-1", "WO-A");
        await Complete("WO-A", "SUB-1");
        await Issue("SUB-1", "WO-B");
        await Issue("RM-2", "WO-B", serials: ["C-9"]);
        await Complete("WO-B", "FG-1", ["SN-1", "SN-2"]);
        await Complete("WO-C", "FG-2", ["SN-3"], new JsonArray(new JsonObject { ["lotNumber"] = "RM-2", ["quantity"] = 5 }));
        await Issue("RM-3", "WO-D");

        var ct = CancellationToken.None;
        Assert.Equal(new RecallOutputs(["FG-1", "SUB-1"], ["SN-1", "SN-2"]), await Genealogy.OutputsContainingLotAsync(_tenant, "RM-1", ct), Recall.Comparer);
        Assert.Equal(new RecallOutputs(["FG-1", "FG-2"], ["SN-1", "SN-2", "SN-3"]), await Genealogy.OutputsContainingLotAsync(_tenant, "RM-2", ct), Recall.Comparer);
        Assert.Equal(new RecallOutputs(["FG-1"], ["SN-1", "SN-2"]), await Genealogy.OutputsContainingLotAsync(_tenant, "SUB-1", ct), Recall.Comparer);
        Assert.Equal(new RecallOutputs([], []), await Genealogy.OutputsContainingLotAsync(_tenant, "FG-1", ct), Recall.Comparer);
        Assert.Equal(new RecallOutputs([], []), await Genealogy.OutputsContainingLotAsync(_tenant, "RM-3", ct), Recall.Comparer);
        Assert.Equal(["RM-1", "RM-2", "SUB-1"], await Genealogy.LotsInSerialAsync(_tenant, "SN-1", ct));
        Assert.Equal(["RM-2"], await Genealogy.LotsInSerialAsync(_tenant, "SN-3", ct));
        Assert.Equal([], await Genealogy.LotsInSerialAsync(_tenant, "SN-UNKNOWN", ct));
    }

    [Fact]
    public async Task Lot_numbers_that_extend_one_another_stay_apart()
    {
        await Issue("LOT-A", "wo-1");
        await Issue("LOT-A/B", "wo-2");
        await Complete("wo-1", "FG-1");
        await Complete("wo-2", "FG-2");

        Assert.Equal(new RecallOutputs(["FG-1"], []), await Genealogy.OutputsContainingLotAsync(_tenant, "LOT-A", CancellationToken.None), Recall.Comparer);
    }

    [Fact]
    public async Task Many_concurrent_links_for_one_lot_all_end_in_the_index()
    {
        var workOrders = Enumerable.Range(0, 16).Select(i => $"wo-{i:D2}").ToArray();

        var results = await Task.WhenAll(workOrders.SelectMany(wo => new[]
        {
            Issue("RM-SHARED", wo, pipeline: Harness(Tables)),
            Complete(wo, $"FG-{wo}", [$"SN-{wo}"], pipeline: Harness(Tables)),
        }));

        Assert.All(results, r => Assert.True(r.Status == ProcessingStatus.Completed, r.RetryReason ?? r.Status.ToString()));
        var recall = await Genealogy.OutputsContainingLotAsync(_tenant, "RM-SHARED", CancellationToken.None);
        Assert.Equal(workOrders.Select(wo => $"FG-{wo}"), recall.LotNumbers);
        Assert.Equal(workOrders.Select(wo => $"SN-{wo}"), recall.SerialNumbers);
        Assert.All(workOrders, wo => Assert.Equal(["RM-SHARED"], Genealogy.LotsInSerialAsync(_tenant, $"SN-{wo}", CancellationToken.None).Result));
    }

    [Fact]
    public async Task Duplicate_replays_and_re_run_repeats_without_new_links()
    {
        await Issue("RM-A", "wo-1");
        var first = await Complete("wo-1", "FG-1", ["SN-1"]);

        var duplicate = await Complete("wo-1", "FG-1", ["SN-1"]);
        var rerun = await Complete("wo-1", "FG-1", ["SN-1"], pipeline: Harness(Tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Single(await Genealogy.ParentsAsync(_tenant, GenealogyNode.Lot("FG-1"), CancellationToken.None));
        Assert.Single(await Genealogy.ChildrenAsync(_tenant, GenealogyNode.Lot("RM-A"), CancellationToken.None));
    }

    [Fact]
    public async Task Inspection_is_recorded_without_links()
    {
        var result = await Send(EventTypes.Mes.QualityInspectionCompleted, Json($$"""
            { "inspectionId": "insp-1", "inspectionNumber": "INS-1", "workOrderId": "wo-1", "result": "PASS", "quantityInspected": 10,
              "quantityAccepted": 10, "quantityRejected": 0, "ncrGenerated": false, "inspectedBy": "qa", "inspectionDate": "{{At}}", "lotNumber": "FG-1" }
            """), "evt-insp");

        var traced = Assert.Single(result.Outcome.Events).Payload<TraceabilityEventCreated>();
        Assert.Equal((TraceabilityActivity.Inspected, "FG-1", "wo-1", 10m), (traced.Activity, traced.LotNumber, traced.WorkOrderId, traced.Quantity));
        Assert.Empty(await Genealogy.ParentsAsync(_tenant, GenealogyNode.Lot("FG-1"), CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_quantities_are_dead_lettered_and_link_nothing()
    {
        var zeroIssue = await Issue("RM-A", "wo-1", 0m);
        var badConsumed = await Complete("wo-1", "FG-1", consumed: new JsonArray(new JsonObject { ["lotNumber"] = "RM-B", ["quantity"] = -2 }));

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is 0.", "$.data.quantity"), zeroIssue.Error);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is -2.", "$.data.consumedLots[0].quantity"), badConsumed.Error);
        Assert.Empty(await Genealogy.ParentsAsync(_tenant, GenealogyNode.WorkOrder("wo-1"), CancellationToken.None));
        Assert.Empty(await Genealogy.ChildrenAsync(_tenant, GenealogyNode.WorkOrder("wo-1"), CancellationToken.None));
    }

    /// <summary>Compares recall results by their contents (records compare lists by reference).</summary>
    private sealed class Recall : IEqualityComparer<RecallOutputs>
    {
        public static Recall Comparer { get; } = new();

        public bool Equals(RecallOutputs? x, RecallOutputs? y) =>
            x is not null && y is not null && x.LotNumbers.SequenceEqual(y.LotNumbers) && x.SerialNumbers.SequenceEqual(y.SerialNumbers);

        public int GetHashCode(RecallOutputs obj) => obj.LotNumbers.Count;
    }
}
