using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Material;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.Processing.Tests.Actions.MesEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Material;

public sealed class ReserveMaterialTests
{
    private readonly ITableServiceClient _tables = new InMemoryTableServiceClient();
    private readonly string _tenant = NewTenant();
    private readonly PipelineHarness _pipeline;

    public ReserveMaterialTests() => _pipeline = Harness(_tables);

    internal static JsonObject Created(string workOrderId = "wo-1", decimal quantity = 50m, string partId = "P-12345", string partNumber = "P-12345") => Json($$"""
        { "workOrderId": "{{workOrderId}}", "workOrderNumber": "WO-2025-0001", "partId": "{{partId}}", "partNumber": "{{partNumber}}",
          "partName": "Landing Gear Strut", "quantity": {{quantity}}, "dueDate": "2025-11-01T00:00:00Z", "priority": "HIGH", "createdBy": "planner-1" }
        """);

    private Task<ProcessingResult> Create(JsonObject? data = null, string eventId = "evt-wo-created-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? _pipeline).ProcessAsync(Mes(EventTypes.Mes.WorkOrderCreated, _tenant, data ?? Created(), eventId), new ReserveMaterial(_tables));

    [Fact]
    public async Task New_work_order_reserves_its_material_and_caches_its_part()
    {
        var result = await Create();

        var reserved = Assert.Single(result.Outcome.Events);
        Assert.Equal((EventTypes.Mes.MaterialReserved, "wo-1"), (reserved.Type, reserved.PartitionKey));
        var payload = reserved.Payload<MaterialReserved>();
        Assert.Equal(("wo-1", "WO-2025-0001"), (payload.WorkOrderId, payload.WorkOrderNumber));
        Assert.Equal([new MaterialReservationLine { PartId = "P-12345", PartNumber = "P-12345", Quantity = 50m }], payload.Lines);
        Assert.Equal(new WorkOrderDocument
        {
            WorkOrderId = "wo-1", WorkOrderNumber = "WO-2025-0001", PartId = "P-12345", PartNumber = "P-12345", PartName = "Landing Gear Strut",
            Quantity = 50m, Status = "OPEN", CreatedByEventId = result.Event!.Id,
        }, await new WorkOrderStore(_tables).GetAsync(_tenant, "wo-1", CancellationToken.None));
    }

    [Fact]
    public async Task Duplicate_replays_re_run_repeats_and_a_re_sent_creation_reserves_nothing_more()
    {
        var first = await Create();

        var duplicate = await Create();
        var rerun = await Create(pipeline: Harness(_tables));
        var resent = await Create(eventId: "evt-wo-created-again");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Zero_quantity_or_missing_part_is_dead_lettered()
    {
        var results = new[] { await Create(Created(quantity: 0m)), await Create(Created(partId: " "), "evt-2") };

        Assert.All(results, r => Assert.Equal(ProcessingStatus.DeadLettered, r.Status));
        Assert.Equal(
        [
            new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is 0.", "$.data.quantity"),
            new EventError(EventErrorCode.InvalidValue, "partId must not be blank.", "$.data.partId"),
        ], results.Select(r => r.Error));
        Assert.Null(await new WorkOrderStore(_tables).GetAsync(_tenant, "wo-1", CancellationToken.None));
    }
}
