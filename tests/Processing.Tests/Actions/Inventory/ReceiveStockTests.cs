using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Inventory;

public sealed class ReceiveStockOnAzurite(AzuriteFixture azurite) : ReceiveStockTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class ReceiveStockInMemory : ReceiveStockTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class ReceiveStockTests : StockTests
{
    private const string SentAt = "2024-01-20T08:05:00.000Z";
    private static readonly DateTimeOffset ReceivedAt = new(2024, 1, 20, 8, 0, 0, TimeSpan.Zero);

    private string Receipt(JsonObject receipt, string timestamp = SentAt) => Envelope(EventTypes.Collector.StockReceived, Tenant, receipt, timestamp);

    private Task<ProcessingResult> Receive(JsonObject receipt, string timestamp = SentAt) =>
        Pipeline.ProcessAsync(Receipt(receipt, timestamp), new ReceiveStock(Tables));

    private Task<ProcessingResult> Reserve(string orderId, decimal quantity) =>
        Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith(orderId, Line(quantity))), new ReserveStock(Tables));

    private string ReceiptId(string quantity) =>
        DerivedIds.Uuid("receipt", Tenant, Product, Warehouse, quantity, "2024-01-20T08:00:00.0000000Z", "");

    [Fact]
    public async Task A_receipt_goes_on_hand_with_a_stock_movement()
    {
        await Define(Item(onHand: 100m));

        var result = await Receive(StockReceived(10m));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal(
        [
            new StockMovement
            {
                MovementId = DerivedIds.Uuid("stock-movement", Tenant, StockMovement.ReceiptType, ReceiptId("10")),
                TenantId = Tenant, ProductId = Product, WarehouseId = Warehouse, MovementType = StockMovement.ReceiptType,
                Quantity = 10m, OccurredAt = ReceivedAt,
            },
        ], result.Rows<StockMovement>());
        var level = await Level();
        Assert.Equal((110m, 110m), (level.OnHand, level.Available));
    }

    [Fact]
    public async Task A_receipt_without_a_receipt_time_is_dated_by_its_event()
    {
        await Define(Item(onHand: 0m));

        var result = await Receive(StockReceived(2.5m, receivedAt: null));

        var movement = Assert.Single(result.Rows<StockMovement>());
        Assert.Equal((2.5m, DateTimeOffset.Parse(SentAt)), (movement.Quantity, movement.OccurredAt));
        Assert.Equal(2.5m, (await Level()).OnHand);
    }

    [Fact]
    public async Task Stock_low_is_armed_again_only_once_stock_is_back_at_the_reorder_level()
    {
        await Define(Item(onHand: 25m));
        Assert.Contains(EventTypes.Collector.StockLow, (await Reserve("order-a", 10m)).Outcome.Events.Select(e => e.Type)); // 15 available

        await Receive(StockReceived(3m)); // 18: still below
        var stillLow = await Reserve("order-b", 1m); // 17
        await Receive(StockReceived(5m, receivedAt: "2024-01-21T08:00:00.000Z")); // 22: at or above, armed
        var armed = (await Level()).LowArmed;
        var fallsAgain = await Reserve("order-c", 5m); // 17

        Assert.Equal([EventTypes.Collector.StockReserved], stillLow.Outcome.Events.Select(e => e.Type));
        Assert.True(armed);
        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], fallsAgain.Outcome.Events.Select(e => e.Type));
        Assert.Equal(17m, fallsAgain.Outcome.Events[1].Payload<Contracts.Payloads.Collector.StockLow>().CurrentQuantity);
    }

    [Fact]
    public async Task A_product_the_warehouse_does_not_stock_is_dead_lettered()
    {
        await Define(Item());

        var result = await Receive(StockReceived(10m, warehouseId: "wh-9"));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "Product 'p-4711' is not stocked in warehouse 'wh-9'.", "$.data.productId"), result.Error);
    }

    [Fact]
    public async Task A_sku_that_is_not_the_products_is_dead_lettered()
    {
        await Define(Item(onHand: 100m));
        var receipt = StockReceived(10m);
        receipt["sku"] = "SKU-OTHER";

        var result = await Receive(receipt);

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "SKU 'SKU-OTHER' is not the SKU of product 'p-4711' ('SKU-p-4711').", "$.data.sku"), result.Error);
        Assert.Equal(100m, (await Level()).OnHand);
    }

    [Theory]
    [InlineData("0", "quantity must be positive, but is 0.")]
    [InlineData("-3", "quantity must be positive, but is -3.")]
    public async Task A_quantity_that_makes_no_sense_is_dead_lettered(string quantity, string message)
    {
        await Define(Item(onHand: 100m));
        var receipt = StockReceived(1m);
        receipt["quantity"] = quantity;

        var result = await Receive(receipt);

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data.quantity"), result.Error);
        Assert.Equal(100m, (await Level()).OnHand);
    }

    [Fact]
    public async Task A_purchase_order_that_was_not_raised_for_the_product_and_warehouse_is_dead_lettered_and_nothing_goes_on_hand()
    {
        await Define(Item(onHand: 100m));

        var result = await Receive(StockReceived(10m, purchaseOrderId: "po-unknown"));

        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            "Purchase order 'po-unknown' was not raised for product 'p-4711' in warehouse 'wh-1'.", "$.data.purchaseOrderId"), result.Error);
        Assert.Equal(100m, (await Level()).OnHand);
    }

    [Fact]
    public async Task A_duplicate_replays_and_a_re_sent_copy_of_the_receipt_counts_once()
    {
        await Define(Item(onHand: 100m));

        var first = await Receive(StockReceived(10m));
        var duplicate = await Receive(StockReceived(10m));
        var resent = await Receive(StockReceived(10m), "2024-01-20T09:00:00.000Z");
        var another = await Receive(StockReceived(10m, receivedAt: "2024-01-20T10:00:00.000Z"), "2024-01-20T10:00:00.000Z");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.Equal(first.Rows<StockMovement>(), resent.Rows<StockMovement>());
        Assert.NotEqual(first.Rows<StockMovement>()[0].MovementId, another.Rows<StockMovement>()[0].MovementId);
        Assert.Equal(120m, (await Level()).OnHand);
    }

    [Fact]
    public async Task Running_the_handler_again_after_a_crash_before_completion_changes_nothing_and_writes_the_same()
    {
        await Define(Item(onHand: 100m));
        var envelope = Receipt(StockReceived(10m, receivedAt: null));

        var first = await RunDirectlyAsync(new ReceiveStock(Tables), envelope);
        var second = await RunDirectlyAsync(new ReceiveStock(Tables), envelope);

        Assert.Single(first.Rows<StockMovement>());
        Assert.Equal(first.Snapshot(), second.Snapshot());
        Assert.Equal(110m, (await Level()).OnHand);
    }
}
