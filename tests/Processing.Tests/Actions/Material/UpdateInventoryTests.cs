using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Material;
using EventProcessors.Processing.Actions.Material.State;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.MesEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Material;

public sealed class UpdateInventoryOnAzurite(AzuriteFixture azurite) : UpdateInventoryTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class UpdateInventoryInMemory : UpdateInventoryTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class UpdateInventoryTests
{
    private readonly string _tenant = NewTenant();
    private PipelineHarness? _harness;

    protected abstract ITableServiceClient Tables { get; }

    private PipelineHarness Pipeline => _harness ??= Harness(Tables);

    private static JsonObject Completed(string workOrderId = "wo-1", decimal completed = 98m, decimal rejected = 2m, string? partId = "P-1") => Json($$"""
        { "workOrderId": "{{workOrderId}}", "workOrderNumber": "WO-2025-0001", "quantityCompleted": {{completed}}, "quantityRejected": {{rejected}},
          "completedAt": "2025-10-19T07:59:00.000Z", "completedBy": "op-1", {{(partId is null ? "" : $"\"partId\": \"{partId}\", \"partNumber\": \"PN-1\",")}}
          "producedLotNumber": "LOT-{{workOrderId}}" }
        """);

    private Task<ProcessingResult> Complete(JsonObject? data = null, string eventId = "evt-done-1", PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Mes(EventTypes.Mes.WorkOrderCompleted, _tenant, data ?? Completed(), eventId), new UpdateInventory(Tables));

    private static MaterialInventoryAdjusted Adjusted(string workOrderId, decimal change, decimal onHand, string partNumber = "PN-1") => new()
    {
        PartId = "P-1", PartNumber = partNumber, QuantityChange = change, QuantityOnHand = onHand, Reason = "PRODUCTION_COMPLETED",
        WorkOrderId = workOrderId, LotNumber = $"LOT-{workOrderId}", AdjustedAt = DateTimeOffset.Parse("2025-10-19T07:59:00.000Z"),
    };

    [Fact]
    public async Task Completed_quantity_is_booked_and_on_hand_accumulates_per_part()
    {
        var first = await Complete();
        var second = await Complete(Completed("wo-2", completed: 10.5m, rejected: 0m), "evt-done-2");

        var adjusted = Assert.Single(first.Outcome.Events);
        Assert.Equal((EventTypes.Mes.MaterialInventoryAdjusted, "P-1"), (adjusted.Type, adjusted.PartitionKey));
        Assert.Equal(Adjusted("wo-1", 98m, 98m), adjusted.Payload<MaterialInventoryAdjusted>());
        Assert.Equal(Adjusted("wo-2", 10.5m, 108.5m), Assert.Single(second.Outcome.Events).Payload<MaterialInventoryAdjusted>());
        Assert.Equal(108.5m, (await new MaterialInventoryStore(Tables).GetAsync(_tenant, "P-1", CancellationToken.None))!.QuantityOnHand);
    }

    [Fact]
    public async Task Duplicate_re_run_and_re_sent_completion_book_once()
    {
        var first = await Complete();

        var duplicate = await Complete();
        var rerun = await Complete(pipeline: Harness(Tables));
        var resent = await Complete(eventId: "evt-done-again");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.True(resent.Outcome.IsEmpty);
        Assert.Equal(98m, (await new MaterialInventoryStore(Tables).GetAsync(_tenant, "P-1", CancellationToken.None))!.QuantityOnHand);
    }

    [Fact]
    public async Task Part_comes_from_the_work_order_and_the_work_order_is_marked_completed()
    {
        await Pipeline.ProcessAsync(Mes(EventTypes.Mes.WorkOrderCreated, _tenant, ReserveMaterialTests.Created(partId: "P-1", partNumber: "PN-1"), "evt-created"),
            new ReserveMaterial(Tables));

        var result = await Complete(Completed(partId: null));

        Assert.Equal(Adjusted("wo-1", 98m, 98m), Assert.Single(result.Outcome.Events).Payload<MaterialInventoryAdjusted>());
        Assert.Equal("COMPLETED", (await new WorkOrderStore(Tables).GetAsync(_tenant, "wo-1", CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Completion_of_an_unknown_work_order_without_part_waits_for_its_creation()
    {
        var result = await Complete(Completed(partId: null));

        Assert.Equal(ProcessingStatus.Retry, result.Status);
    }

    [Fact]
    public async Task Nothing_completed_books_nothing_and_negative_quantities_are_dead_lettered()
    {
        var nothing = await Complete(Completed(completed: 0m, rejected: 5m));
        var negative = await Complete(Completed(completed: -1m), "evt-neg");

        Assert.True(nothing.Outcome.IsEmpty);
        Assert.Null(await new MaterialInventoryStore(Tables).GetAsync(_tenant, "P-1", CancellationToken.None));
        Assert.Equal(ProcessingStatus.DeadLettered, negative.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "quantityCompleted must not be negative, but is -1.", "$.data.quantityCompleted"), negative.Error);
    }

    [Fact]
    public async Task Concurrent_completions_of_one_part_all_add_up()
    {
        var results = await Task.WhenAll(Enumerable.Range(1, 10).Select(i =>
            Complete(Completed($"wo-{i}", completed: i, rejected: 0m), $"evt-done-{i}", Harness(Tables))));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        Assert.Equal(55m, (await new MaterialInventoryStore(Tables).GetAsync(_tenant, "P-1", CancellationToken.None))!.QuantityOnHand);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (decimal)i).Order(),
            results.Select(r => Assert.Single(r.Outcome.Events).Payload<MaterialInventoryAdjusted>().QuantityChange).Order());
        Assert.Equal(55m, results.Max(r => r.Outcome.Events[0].Payload<MaterialInventoryAdjusted>().QuantityOnHand));
    }
}
