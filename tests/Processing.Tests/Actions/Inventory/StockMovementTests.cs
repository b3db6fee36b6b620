using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Actions.Procurement;
using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Inventory;

/// <summary>Shared set-up for the stock movement tests (receipts, dispatches).</summary>
public abstract class StockTestBase
{
    protected readonly string Tenant = NewTenant();

    protected abstract ITableServiceClient Tables { get; }

    protected StockLevels Stock => new(Tables);

    protected Task Define(decimal onHand, decimal reorderLevel = 10m, string warehouseId = "wh-1") =>
        Stock.DefineStockAsync(Tenant, warehouseId, ProductId, onHand, reorderLevel, 5m, "Product Name", "SKU-123", "Main " + warehouseId);

    protected async Task<StockLevel> Level(string warehouseId = "wh-1") => (await Stock.GetAsync(Tenant, warehouseId, ProductId))!;

    protected static JsonObject Received(decimal quantity, string? purchaseOrderId = null, string warehouseId = "wh-1")
    {
        var data = new JsonObject { ["productId"] = ProductId, ["sku"] = "SKU-123", ["warehouseId"] = warehouseId, ["quantity"] = quantity };
        if (purchaseOrderId is not null) data["purchaseOrderId"] = purchaseOrderId;
        return data;
    }

    protected static JsonObject Dispatched(decimal quantity, string deliveryNoteId = DeliveryNoteId, string orderId = OrderId, string warehouseId = "wh-1") => new()
    {
        ["deliveryNoteId"] = deliveryNoteId,
        ["deliveryNumber"] = "DN-2024-001",
        ["orderId"] = orderId,
        ["items"] = new JsonArray(new JsonObject { ["productId"] = ProductId, ["quantity"] = quantity, ["warehouseId"] = warehouseId }),
    };

    private protected Task<ProcessingResult> Receive(JsonObject data, PipelineHarness? pipeline = null, string timestamp = "2024-01-16T08:00:00.000Z") =>
        (pipeline ?? Harness(Tables)).ProcessAsync(Envelope(EventTypes.Collector.StockReceived, Tenant, data, timestamp), new ReceiveStock(Tables));

    private protected Task<ProcessingResult> Deduct(JsonObject data, PipelineHarness? pipeline = null) =>
        (pipeline ?? Harness(Tables)).ProcessAsync(Envelope(EventTypes.Collector.DeliveryDispatched, Tenant, data), new DeductStock(Tables));

    protected Task<ProcessingResult> Reserve(string orderId, decimal quantity)
    {
        var order = OrderCreated();
        order["orderId"] = orderId;
        order["lineItems"]![0]!["quantity"] = quantity;
        return Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, order), new ReserveStock(Tables));
    }
}

public sealed class StockMovementsOnAzurite(AzuriteFixture azurite) : StockMovementTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class StockMovementsInMemory : StockMovementTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

/// <summary>ReceiveStock and DeductStock, alone and racing each other.</summary>
public abstract class StockMovementTests : StockTestBase
{
    [Fact]
    public async Task Receipt_goes_on_hand_and_re_arms_stock_low_only_at_the_reorder_level()
    {
        await Define(onHand: 12m);
        await Reserve("o-1", 5m); // available 7: crossed, disarmed

        var short_ = await Receive(Received(2m));
        Assert.False((await Level()).LowArmed);
        var back = await Receive(Received(1m));

        Assert.Equal(ProcessingStatus.Completed, back.Status);
        Assert.True(short_.Outcome.IsEmpty);
        Assert.True(back.Outcome.IsEmpty);
        var level = await Level();
        Assert.Equal(15m, level.OnHand);
        Assert.Equal(10m, level.Available);
        Assert.True(level.LowArmed);
        var again = await Reserve("o-2", 1m);
        Assert.Contains(again.Outcome.Events, e => e.Type == EventTypes.Collector.StockLow);
    }

    [Fact]
    public async Task Dispatch_turns_the_reservation_into_a_deduction()
    {
        await Define(onHand: 20m);
        await Reserve(OrderId, 5m);

        var result = await Deduct(Dispatched(5m));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
        var level = await Level();
        Assert.Equal(15m, level.OnHand);
        Assert.Empty(level.Reservations);
        Assert.Equal(15m, level.Available);
    }

    [Fact]
    public async Task Dispatch_beyond_the_reservation_crossing_the_reorder_level_signals_stock_low()
    {
        await Define(onHand: 14m);
        await Reserve(OrderId, 2m);

        var result = await Deduct(Dispatched(6m));

        var low = Assert.Single(result.Outcome.Events);
        Assert.Equal(EventTypes.Collector.StockLow, low.Type);
        Assert.Equal(8m, low.Payload<StockLow>().CurrentQuantity);
        Assert.Equal(8m, (await Level()).OnHand);
    }

    [Fact]
    public async Task Duplicates_and_re_runs_change_stock_once_and_repeat_the_same_events()
    {
        await Define(onHand: 14m);
        var pipeline = Harness(Tables);

        var first = await Deduct(Dispatched(6m), pipeline);
        var duplicate = await Deduct(Dispatched(6m), pipeline);
        var rerun = await Deduct(Dispatched(6m));
        var receipt = await Receive(Received(4m), pipeline);
        var receiptRerun = await Receive(Received(4m));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(receipt.Snapshot(), receiptRerun.Snapshot());
        Assert.Equal(12m, (await Level()).OnHand);
    }

    [Fact]
    public async Task Concurrent_receipts_and_deductions_leave_the_exact_on_hand_total()
    {
        await Define(onHand: 100m, reorderLevel: 0m);

        var deductions = Enumerable.Range(0, 10).Select(i => Task.Run(() => Deduct(Dispatched(3m, deliveryNoteId: $"dn-{i}", orderId: $"o-{i}"))));
        var receipts = Enumerable.Range(0, 5).Select(i => Task.Run(() => Receive(Received(2m), timestamp: $"2024-01-16T08:00:0{i}.000Z")));
        var results = await Task.WhenAll(deductions.Concat(receipts));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        Assert.Equal(80m, (await Level()).OnHand);
        Assert.Equal(15, (await Level()).Applied.Count);
    }

    [Fact]
    public async Task Concurrent_deductions_signal_stock_low_once_at_the_crossing()
    {
        await Define(onHand: 100m, reorderLevel: 90m);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => Deduct(Dispatched(3m, deliveryNoteId: $"dn-{i}", orderId: $"o-{i}")))));

        var low = Assert.Single(results.SelectMany(r => r.Outcome.Events));
        Assert.Equal(EventTypes.Collector.StockLow, low.Type);
        Assert.Equal(88m, low.Payload<StockLow>().CurrentQuantity);
        Assert.Equal(70m, (await Level()).OnHand);
    }

    [Fact]
    public async Task Receipt_naming_the_open_purchase_order_closes_it()
    {
        await Define(onHand: 4m);
        var low = new JsonObject
        {
            ["productId"] = ProductId, ["productName"] = "Product Name", ["sku"] = "SKU-123", ["warehouseId"] = "wh-1", ["warehouseName"] = "Main wh-1",
            ["currentQuantity"] = 4, ["minimumThreshold"] = 5, ["reorderLevel"] = 10,
        };
        var created = await Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.StockLow, Tenant, low), new CreatePurchaseOrder(Tables));
        var po = Assert.Single(created.Rows<PurchaseOrder>());

        var received = await Receive(Received(6m, po.PurchaseOrderId));

        Assert.Equal([po with { Status = "RECEIVED", ReceivedAt = DateTimeOffset.Parse("2024-01-16T08:00:00.000Z") }], received.Rows<PurchaseOrder>());
        Assert.False((await new OpenPurchaseOrders(Tables).GetAsync(Tenant, "wh-1", ProductId))!.IsOpen);
        Assert.Equal(10m, (await Level()).OnHand);
    }

    [Fact]
    public async Task Invalid_movements_are_dead_lettered_and_change_nothing()
    {
        await Define(onHand: 4m);

        var results = new[]
        {
            await Receive(Received(0m)),
            await Receive(Received(3m, warehouseId: "wh-x")),
            await Deduct(Dispatched(5m)),
            await Deduct(Dispatched(1m, warehouseId: "wh-x")),
        };

        Assert.All(results, r => Assert.Equal(ProcessingStatus.DeadLettered, r.Status));
        Assert.Equal(
        [
            new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is 0.", "$.data.quantity"),
            new EventError(EventErrorCode.InvalidValue, $"No stock of product '{ProductId}' is defined in warehouse 'wh-x'.", "$.data"),
            new EventError(EventErrorCode.InvalidValue, "quantity 5 exceeds the 4 on hand.", "$.data.items[0].quantity"),
            new EventError(EventErrorCode.InvalidValue, $"No stock of product '{ProductId}' is defined in warehouse 'wh-x'.", "$.data.items[0]"),
        ], results.Select(r => r.Error));
        Assert.Equal(4m, (await Level()).OnHand);
    }
}
