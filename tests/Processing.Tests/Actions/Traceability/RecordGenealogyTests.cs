using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Traceability;
using EventProcessors.Processing.Actions.Traceability.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Actions.OrderToCash;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.TestSupport.MesEvents;

namespace EventProcessors.Processing.Tests.Actions.Traceability;

public sealed class RecordGenealogyOnAzurite(AzuriteFixture azurite) : RecordGenealogyTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class RecordGenealogyInMemory : RecordGenealogyTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

/// <summary>
/// Scale, in memory only (the in-memory tables enforce the service's 1 MiB entity limit, and the Azurite classes already
/// cover the same code path; 12,000 index rows there take over a minute): a work order's genealogy document must stay
/// small however many links it makes.
/// </summary>
public sealed class RecordGenealogyAtScale : ActionTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();

    private Task<ProcessingResult> Deliver(string type, JsonObject data, string eventId) =>
        OrderToCashEvents.Harness(Tables).ProcessAsync(MesEnvelope(type, Tenant, data, eventId), new RecordGenealogy(Tables));

    [Fact]
    public async Task A_work_order_producing_thousands_of_serials_from_several_lots_is_traced_in_full()
    {
        var lots = new[] { "LOT-A", "LOT-B", "LOT-C", "LOT-D" };
        var serials = Enumerable.Range(1, 1500).Select(i => $"SN-{i:D5}").ToArray();
        foreach (var (lot, i) in lots.Select((l, i) => (l, i)))
            await Deliver(EventTypes.Mes.MaterialIssued, MaterialIssued("wo-big", lot, "250"), $"issue-{i}");
        var completion = WorkOrderCompleted("wo-big", "WO-big", completed: "1500", rejected: "0", producedLot: "LOT-BIG", consumedLot: null);
        completion["producedSerialNumbers"] = new JsonArray([.. serials.Select(s => (JsonNode)JsonValue.Create(s))]);

        var completed = await Deliver(EventTypes.Mes.WorkOrderCompleted, completion, "complete-big");
        var rerun = await Deliver(EventTypes.Mes.WorkOrderCompleted, completion, "complete-big"); // a fresh worker: the handler runs again

        Assert.Equal(ProcessingStatus.Completed, completed.Status);
        Assert.Equal(lots.Length * (serials.Length + 1), completed.Rows<GenealogyLink>().Length);
        Assert.Equal(completed.Snapshot(), rerun.Snapshot());
        var genealogy = new GenealogyStore(Tables);
        Assert.Equal(lots, await genealogy.LotsInSerialAsync(Tenant, "SN-01234"));
        Assert.Equal(serials.Length + 1, (await genealogy.OutputsContainingLotAsync(Tenant, "LOT-C")).Count);
    }
}

public abstract class RecordGenealogyTests : ActionTests
{
    private static readonly DateTimeOffset CompletedAt = new(2025, 10, 19, 16, 0, 0, TimeSpan.Zero);

    private GenealogyStore Genealogy => new(Tables);

    private Task<ProcessingResult> Deliver(string type, JsonObject data, string eventId, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(MesEnvelope(type, Tenant, data, eventId), new RecordGenealogy(Tables));

    private Task<ProcessingResult> Receive(string lot, string eventId) => Deliver(EventTypes.Mes.MaterialReceived, MaterialReceived(lot), eventId);

    private Task<ProcessingResult> Issue(string workOrderId, string lot, string eventId, string quantity = "20", PipelineHarness? pipeline = null, params string[] serials) =>
        Deliver(EventTypes.Mes.MaterialIssued, MaterialIssued(workOrderId, lot, quantity, serials), eventId, pipeline);

    /// <summary>A completion of <paramref name="workOrderId"/> producing <paramref name="lot"/> and <paramref name="serials"/>, reporting no consumed lots of its own.</summary>
    private Task<ProcessingResult> Produce(string workOrderId, string? lot, string eventId, PipelineHarness? pipeline = null, params string[] serials)
    {
        var completed = WorkOrderCompleted(workOrderId, "WO-" + workOrderId, completed: serials.Length > 0 ? serials.Length.ToString() : "10", rejected: "0",
            producedLot: lot, consumedLot: null);
        if (serials.Length > 0) completed["producedSerialNumbers"] = new JsonArray([.. serials.Select(s => (JsonNode)JsonValue.Create(s))]);
        return Deliver(EventTypes.Mes.WorkOrderCompleted, completed, eventId, pipeline);
    }

    private string TraceId(string eventId) => DerivedIds.Uuid("traceability-event", Tenant, eventId);

    private string LinkId(string parentType, string parent, string childType, string child) => DerivedIds.Uuid("genealogy-link", Tenant, parentType, parent, childType, child);

    private static GenealogyNode Lot(string number) => GenealogyNode.Lot(number);

    private static GenealogyNode Serial(string number) => GenealogyNode.Serial(number);

    [Fact]
    public async Task A_receipt_is_a_traceability_event_without_links()
    {
        var result = await Receive("LOT-RAW-001", "evt-received-1");

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var created = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.TraceabilityEventCreated, TraceId("evt-received-1")), (created.Type, created.PartitionKey));
        Assert.Equal(new TraceabilityEventCreated
        {
            TraceabilityEventId = TraceId("evt-received-1"), Activity = TraceabilityActivity.Received, SourceEventId = "evt-received-1",
            PartId = "raw-7", LotNumber = "LOT-RAW-001", Quantity = 50m, OccurredAt = new DateTimeOffset(2025, 10, 18, 8, 0, 0, TimeSpan.Zero),
        }, created.Payload<TraceabilityEventCreated>());
        Assert.Equal(
        [
            new TraceabilityEvent
            {
                TraceabilityEventId = TraceId("evt-received-1"), TenantId = Tenant, Activity = "RECEIVED", SourceEventId = "evt-received-1",
                SourceEventType = "material.received", PartId = "raw-7", LotNumber = "LOT-RAW-001", Quantity = 50m,
                OccurredAt = new DateTimeOffset(2025, 10, 18, 8, 0, 0, TimeSpan.Zero),
            },
        ], result.Rows<TraceabilityEvent>());
        Assert.Empty(result.Rows<GenealogyLink>());
    }

    [Fact]
    public async Task An_issue_then_the_completion_link_the_consumed_lot_to_the_produced_lot()
    {
        var issued = await Issue(WorkOrderId, "LOT-RAW-001", "evt-issued-1");

        Assert.Equal([EventTypes.Mes.TraceabilityEventCreated], issued.Outcome.Events.Select(e => e.Type));
        Assert.Equal((TraceabilityActivity.Issued, WorkOrderId, 20m), Fields(issued.Outcome.Events[0].Payload<TraceabilityEventCreated>()));
        Assert.Empty(issued.Rows<GenealogyLink>()); // nothing produced yet

        var completed = await Deliver(EventTypes.Mes.WorkOrderCompleted, WorkOrderCompleted(), "evt-completed-1");

        Assert.Equal([EventTypes.Mes.TraceabilityEventCreated, EventTypes.Mes.TraceabilityLotGenealogyUpdated], completed.Outcome.Events.Select(e => e.Type));
        Assert.Equal(new TraceabilityEventCreated
        {
            TraceabilityEventId = TraceId("evt-completed-1"), Activity = TraceabilityActivity.Produced, SourceEventId = "evt-completed-1",
            PartId = PartId, LotNumber = "LOT-FG-001", WorkOrderId = WorkOrderId, Quantity = 100m, OccurredAt = CompletedAt,
        }, completed.Outcome.Events[0].Payload<TraceabilityEventCreated>());
        var genealogy = completed.Outcome.Events[1];
        Assert.Equal("LOT-FG-001", genealogy.PartitionKey);
        var updated = genealogy.Payload<TraceabilityLotGenealogyUpdated>();
        Assert.Equal(("LOT-FG-001", PartId, WorkOrderId), (updated.LotNumber, updated.PartId, updated.WorkOrderId));
        // The completion's consumed quantity (20 of RM-7) is the work order's final statement.
        Assert.Equal([new ConsumedLot { LotNumber = "LOT-RAW-001", Quantity = 20m }], updated.ParentLots);
        Assert.Equal(
        [
            new GenealogyLink
            {
                LinkId = LinkId("LOT", "LOT-RAW-001", "LOT", "LOT-FG-001"), TenantId = Tenant, ParentType = "LOT", ParentNumber = "LOT-RAW-001",
                ChildType = "LOT", ChildNumber = "LOT-FG-001", WorkOrderId = WorkOrderId, Quantity = 20m, LinkedAt = CompletedAt,
            },
        ], completed.Rows<GenealogyLink>());
        Assert.Equal([Lot("LOT-FG-001")], await Genealogy.OutputsContainingLotAsync(Tenant, "LOT-RAW-001"));
    }

    [Fact]
    public async Task Recall_answers_both_questions_through_intermediates()
    {
        // WO-A turns steel (RAW-1) and bolts (RAW-2) into an intermediate lot INT-1.
        await Receive("RAW-1", "r-1");
        await Issue("wo-a", "RAW-1", "i-1");
        await Issue("wo-a", "RAW-2", "i-2");
        await Produce("wo-a", "INT-1", "c-a");
        // WO-B builds INT-1 and seals (RAW-3) into finished lot FG-1, serials SN-1 and SN-2.
        await Issue("wo-b", "INT-1", "i-3");
        await Issue("wo-b", "RAW-3", "i-4");
        await Produce("wo-b", "FG-1", "c-b", null, "SN-1", "SN-2");
        // WO-C makes a single serial SN-9 from steel, without a lot of its own.
        await Issue("wo-c", "RAW-1", "i-5");
        await Produce("wo-c", null, "c-c", null, "SN-9");

        Assert.Equal([Lot("FG-1"), Lot("INT-1"), Serial("SN-1"), Serial("SN-2"), Serial("SN-9")], await Genealogy.OutputsContainingLotAsync(Tenant, "RAW-1"));
        Assert.Equal([Lot("FG-1"), Lot("INT-1"), Serial("SN-1"), Serial("SN-2")], await Genealogy.OutputsContainingLotAsync(Tenant, "RAW-2"));
        Assert.Equal([Lot("FG-1"), Serial("SN-1"), Serial("SN-2")], await Genealogy.OutputsContainingLotAsync(Tenant, "RAW-3"));
        Assert.Equal([Lot("FG-1"), Serial("SN-1"), Serial("SN-2")], await Genealogy.OutputsContainingLotAsync(Tenant, "INT-1"));
        Assert.Empty(await Genealogy.OutputsContainingLotAsync(Tenant, "FG-1"));

        Assert.Equal(["INT-1", "RAW-1", "RAW-2", "RAW-3"], await Genealogy.LotsInSerialAsync(Tenant, "SN-1"));
        Assert.Equal(["RAW-1"], await Genealogy.LotsInSerialAsync(Tenant, "SN-9"));
        Assert.Empty(await Genealogy.LotsInSerialAsync(Tenant, "SN-unknown"));
        // A serial is not made from the lot it was produced in.
        Assert.DoesNotContain("FG-1", await Genealogy.LotsInSerialAsync(Tenant, "SN-1"));
        Assert.Equal([("INT-1", "wo-b"), ("RAW-3", "wo-b")],
            (await Genealogy.ParentsAsync(Tenant, Lot("FG-1"))).Select(e => (e.Parent.Number, e.WorkOrderId)).Order());
    }

    [Fact]
    public async Task Material_issued_after_the_completion_still_links_to_what_was_produced()
    {
        await Produce(WorkOrderId, "LOT-FG-001", "evt-completed-1");

        var late = await Issue(WorkOrderId, "LOT-RAW-009", "evt-issued-9", "12.5");

        var updated = late.Outcome.Events.Single(e => e.Type == EventTypes.Mes.TraceabilityLotGenealogyUpdated).Payload<TraceabilityLotGenealogyUpdated>();
        // The produced lot's part, as its completion said, not the part of the material issued.
        Assert.Equal(("LOT-FG-001", PartId, WorkOrderId), (updated.LotNumber, updated.PartId, updated.WorkOrderId));
        Assert.Equal([new ConsumedLot { LotNumber = "LOT-RAW-009", Quantity = 12.5m }], updated.ParentLots);
        Assert.Equal([Lot("LOT-FG-001")], await Genealogy.OutputsContainingLotAsync(Tenant, "LOT-RAW-009"));
    }

    [Fact]
    public async Task Issued_serials_are_parents_too()
    {
        await Issue("wo-final", "LOT-SUB-1", "evt-issued-1", "2", null, "SUB-SN-1", "SUB-SN-2");

        var completed = await Produce("wo-final", null, "evt-completed-1", null, "FINAL-SN-1");

        Assert.Equal([(Lot("LOT-SUB-1"), (decimal?)2m), (Serial("SUB-SN-1"), null), (Serial("SUB-SN-2"), null)],
            (await Genealogy.ParentsAsync(Tenant, Serial("FINAL-SN-1"))).Select(e => (e.Parent, e.Quantity)).OrderBy(p => p.Parent));
        Assert.Equal(["LOT-SUB-1"], await Genealogy.LotsInSerialAsync(Tenant, "FINAL-SN-1"));
        Assert.Equal([Serial("FINAL-SN-1")], await Genealogy.DescendantsAsync(Tenant, Serial("SUB-SN-2")));
        // No produced lot gained parents: no lot genealogy update.
        Assert.Equal([EventTypes.Mes.TraceabilityEventCreated], completed.Outcome.Events.Select(e => e.Type));
        Assert.Equal(3, completed.Rows<GenealogyLink>().Length);
    }

    [Fact]
    public async Task Issues_of_one_lot_add_up_and_the_completion_states_what_was_consumed()
    {
        await Issue(WorkOrderId, "LOT-RAW-001", "evt-issued-1", "20");
        await Issue(WorkOrderId, "LOT-RAW-001", "evt-issued-2", "5");
        var withoutStatement = await Produce(WorkOrderId, "LOT-FG-001", "evt-completed-1");

        Assert.Equal(25m, Assert.Single(withoutStatement.Rows<GenealogyLink>()).Quantity);
        var inputs = await new WorkOrderGenealogies(Tables).InputsAsync(Tenant, WorkOrderId, CancellationToken.None);
        Assert.Equal([(Lot("LOT-RAW-001"), (decimal?)25m)], inputs.Select(i => (i.Node, i.Quantity)));
    }

    [Fact]
    public async Task An_inspection_is_a_traceability_event_without_links()
    {
        var result = await Deliver(EventTypes.Mes.QualityInspectionCompleted, InspectionCompleted(), "evt-inspected-1");

        var created = Assert.Single(result.Outcome.Events).Payload<TraceabilityEventCreated>();
        Assert.Equal(new TraceabilityEventCreated
        {
            TraceabilityEventId = TraceId("evt-inspected-1"), Activity = TraceabilityActivity.Inspected, SourceEventId = "evt-inspected-1",
            PartId = PartId, LotNumber = "LOT-FG-001", WorkOrderId = WorkOrderId, Quantity = 98m, OccurredAt = new DateTimeOffset(2025, 10, 20, 9, 0, 0, TimeSpan.Zero),
        }, created);
        Assert.Equal("INSPECTED", Assert.Single(result.Rows<TraceabilityEvent>()).Activity);
        Assert.Empty(result.Rows<GenealogyLink>());
    }

    [Fact]
    public async Task Duplicates_replay_the_same_links_and_a_re_sent_completion_links_nothing_new()
    {
        await Issue(WorkOrderId, "LOT-RAW-002", "evt-issued-1");
        var first = await Deliver(EventTypes.Mes.WorkOrderCompleted, WorkOrderCompleted(), "evt-completed-1");

        var duplicate = await Deliver(EventTypes.Mes.WorkOrderCompleted, WorkOrderCompleted(), "evt-completed-1");
        var rerun = await Deliver(EventTypes.Mes.WorkOrderCompleted, WorkOrderCompleted(), "evt-completed-1", OrderToCashEvents.Harness(Tables));
        var resent = await Deliver(EventTypes.Mes.WorkOrderCompleted, WorkOrderCompleted(), "evt-completed-2");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(2, first.Rows<GenealogyLink>().Length); // RAW-001 (reported consumed) and RAW-002 (issued)
        Assert.Empty(resent.Rows<GenealogyLink>());
        Assert.Equal([EventTypes.Mes.TraceabilityEventCreated], resent.Outcome.Events.Select(e => e.Type));
        Assert.Equal([("LOT-RAW-001", (decimal?)20m), ("LOT-RAW-002", 20m)],
            (await Genealogy.ParentsAsync(Tenant, Lot("LOT-FG-001"))).Select(e => (e.Parent.Number, e.Quantity)).Order());
    }

    [Fact]
    public async Task Many_work_orders_consuming_one_lot_at_once_all_end_in_the_index()
    {
        var workOrders = Enumerable.Range(0, 16).Select(i => $"wo-{i:D2}").ToArray();

        // Each work order's issue and completion race each other too.
        var deliveries = workOrders.SelectMany(wo => new[]
        {
            UntilSettled(() => Issue(wo, "LOT-SHARED", "issue-" + wo, pipeline: OrderToCashEvents.Harness(Tables))),
            UntilSettled(() => Produce(wo, "FG-" + wo, "complete-" + wo, OrderToCashEvents.Harness(Tables))),
        });
        var results = await Task.WhenAll(deliveries);

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        Assert.Equal([.. workOrders.Select(wo => Lot("FG-" + wo))], await Genealogy.OutputsContainingLotAsync(Tenant, "LOT-SHARED"));
        // Each link was made once, by whichever of its two events came second.
        Assert.Equal(16, results.Sum(r => r.Rows<GenealogyLink>().Length));
        Assert.Equal(16, results.Count(r => r.Outcome.Events.Any(e => e.Type == EventTypes.Mes.TraceabilityLotGenealogyUpdated)));
    }

    [Theory]
    [InlineData(EventTypes.Mes.MaterialIssued, "quantity", "0", "$.data.quantity", "quantity must be positive, but is 0.")]
    [InlineData(EventTypes.Mes.MaterialIssued, "lotNumber", "\"\"", "$.data.lotNumber", "lotNumber must not be blank.")]
    [InlineData(EventTypes.Mes.MaterialReceived, "quantity", "-50", "$.data.quantity", "quantity must be positive, but is -50.")]
    public async Task Material_movements_that_make_no_sense_are_dead_lettered(string type, string field, string value, string path, string message)
    {
        var data = type == EventTypes.Mes.MaterialIssued ? MaterialIssued() : MaterialReceived();
        data[field] = JsonNode.Parse(value);

        var result = await Deliver(type, data, "evt-bad-1");

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
    }

    [Fact]
    public async Task A_completion_with_a_consumed_lot_that_makes_no_sense_is_dead_lettered_and_links_nothing()
    {
        var completed = WorkOrderCompleted();
        completed["consumedLots"]![0]!["quantity"] = -20;
        var blankSerial = WorkOrderCompleted();
        blankSerial["producedSerialNumbers"] = new JsonArray("SN-1", " ");

        var negative = await Deliver(EventTypes.Mes.WorkOrderCompleted, completed, "evt-bad-1");
        var blank = await Deliver(EventTypes.Mes.WorkOrderCompleted, blankSerial, "evt-bad-2");

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is -20.", "$.data.consumedLots[0].quantity"), negative.Error);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "producedSerialNumbers[1] must not be blank.", "$.data.producedSerialNumbers[1]"), blank.Error);
        Assert.Empty(await Genealogy.OutputsContainingLotAsync(Tenant, "LOT-RAW-001"));
    }

    private static (TraceabilityActivity, string?, decimal?) Fields(TraceabilityEventCreated e) => (e.Activity, e.WorkOrderId, e.Quantity);
}
