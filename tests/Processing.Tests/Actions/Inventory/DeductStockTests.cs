using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
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

public sealed class DeductStockOnAzurite(AzuriteFixture azurite) : DeductStockTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class DeductStockInMemory : DeductStockTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class DeductStockTests : StockTests
{
    private const string DispatchedAt = "2024-01-15T11:00:00.000Z";

    private string Dispatch(JsonObject dispatch, string timestamp = DispatchedAt) =>
        Envelope(EventTypes.Collector.DeliveryDispatched, Tenant, dispatch, timestamp);

    private Task<ProcessingResult> Deduct(JsonObject dispatch, string timestamp = DispatchedAt) =>
        Pipeline.ProcessAsync(Dispatch(dispatch, timestamp), new DeductStock(Tables));

    private async Task Reserve(JsonObject order)
    {
        var result = await Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, order), new ReserveStock(Tables));
        Assert.Equal(EventTypes.Collector.StockReserved, result.Outcome.Events[0].Type);
    }

    private StockMovement Movement(decimal quantity, string productId = Product, string orderId = OrderId, string deliveryNoteId = DeliveryNoteId) => new()
    {
        MovementId = DerivedIds.Uuid("stock-movement", Tenant, StockMovement.DispatchType, deliveryNoteId, productId, Warehouse),
        TenantId = Tenant,
        ProductId = productId,
        WarehouseId = Warehouse,
        MovementType = StockMovement.DispatchType,
        Quantity = quantity,
        OrderId = orderId,
        DeliveryNoteId = deliveryNoteId,
        OccurredAt = DateTimeOffset.Parse(DispatchedAt),
    };

    [Fact]
    public async Task Dispatching_a_reserved_order_turns_its_reservation_into_a_deduction()
    {
        await Define(Item(onHand: 100m));
        await Define(Item("p-2", onHand: 10m));
        await Reserve(OrderCreatedWith(OrderId, Line(5m), Line(2m, "p-2")));

        var result = await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(5m), Line(2m, "p-2")));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal([Movement(-5m), Movement(-2m, "p-2")], result.Rows<StockMovement>());
        var level = await Level();
        Assert.Equal((95m, 0m, 95m), (level.OnHand, level.Reserved, level.Available));
        Assert.Empty(level.Reservations);
        Assert.Equal((8m, 0m), ((await Level("p-2")).OnHand, (await Level("p-2")).Reserved));
    }

    [Fact]
    public async Task Shipping_what_was_reserved_fires_no_stock_low_because_the_reservation_already_took_it()
    {
        await Define(Item(onHand: 25m));
        await Reserve(OrderCreatedWith(OrderId, Line(10m))); // available 15: stock.low came with the reservation

        var result = await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(10m)));

        Assert.Empty(result.Outcome.Events);
        var level = await Level();
        Assert.Equal((15m, 15m, false), (level.OnHand, level.Available, level.LowArmed));
    }

    [Fact]
    public async Task Shipping_less_than_reserved_frees_the_rest_of_the_reservation()
    {
        await Define(Item(onHand: 100m));
        await Reserve(OrderCreatedWith(OrderId, Line(5m)));

        await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(3m)));

        var level = await Level();
        Assert.Equal((97m, 0m, 97m), (level.OnHand, level.Reserved, level.Available));
    }

    [Fact]
    public async Task Shipping_more_than_reserved_takes_free_stock_and_fires_stock_low_on_the_crossing()
    {
        await Define(Item(onHand: 30m));
        await Reserve(OrderCreatedWith(OrderId, Line(5m)));

        var result = await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(12m)));

        AssertEvent(Assert.Single(result.Outcome.Events), EventTypes.Collector.StockLow, Product, new StockLow
        {
            ProductId = Product, ProductName = "Product p-4711", Sku = "SKU-p-4711", WarehouseId = Warehouse, WarehouseName = WarehouseName,
            CurrentQuantity = 18m, MinimumThreshold = 10m, ReorderLevel = 20m,
        });
        Assert.Equal([Movement(-12m)], result.Rows<StockMovement>());
        var level = await Level();
        Assert.Equal((18m, 0m), (level.OnHand, level.Reserved));
    }

    [Fact]
    public async Task Shipping_more_than_the_reservation_plus_free_stock_is_dead_lettered_and_changes_nothing()
    {
        await Define(Item(onHand: 10m));
        await Define(Item("p-2", onHand: 10m));
        await Reserve(OrderCreatedWith("order-x", Line(8m)));

        var result = await Deduct(DeliveryDispatched(DeliveryNoteId, "order-y", Line(1m, "p-2"), Line(3m)));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            "Shipping 3 of product 'p-4711' from warehouse 'wh-1' exceeds what order 'order-y' may take: its reservation (0) plus free stock (2).",
            "$.data.items[1].quantity"), result.Error);
        Assert.Equal((10m, 8m), ((await Level()).OnHand, (await Level()).Reserved));
        Assert.Equal(10m, (await Level("p-2")).OnHand);
        Assert.Null(await new OrderReservations(Tables).GetAsync(Tenant, "order-y"));
    }

    [Fact]
    public async Task An_item_of_a_product_the_warehouse_does_not_stock_is_dead_lettered()
    {
        await Define(Item(onHand: 10m));

        var result = await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(1m), Line(1m, "p-4711", "wh-9")));

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "Product 'p-4711' is not stocked in warehouse 'wh-9'.", "$.data.items[1].productId"), result.Error);
        Assert.Equal(10m, (await Level()).OnHand);
    }

    [Theory]
    [InlineData("0", "quantity must be positive, but is 0.")]
    [InlineData("-1", "quantity must be positive, but is -1.")]
    public async Task A_quantity_that_makes_no_sense_is_dead_lettered(string quantity, string message)
    {
        await Define(Item(onHand: 10m));
        var dispatch = DeliveryDispatched();
        dispatch["items"]![0]!["quantity"] = quantity;

        var result = await Deduct(dispatch);

        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data.items[0].quantity"), result.Error);
        Assert.Equal(10m, (await Level()).OnHand);
    }

    [Fact]
    public async Task A_duplicate_replays_and_a_re_sent_copy_deducts_nothing_more()
    {
        await Define(Item(onHand: 25m));

        var first = await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(6m)));
        var duplicate = await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(6m)));
        var resent = await Deduct(DeliveryDispatched(DeliveryNoteId, OrderId, Line(6m)), "2024-01-15T11:05:00.000Z");

        Assert.Equal([EventTypes.Collector.StockLow], first.Outcome.Events.Select(e => e.Type));
        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.Empty(resent.Outcome.Events);
        Assert.Equal(first.Rows<StockMovement>(), resent.Rows<StockMovement>());
        Assert.Equal(19m, (await Level()).OnHand);
    }

    [Fact]
    public async Task Running_the_handler_again_after_a_crash_before_completion_changes_nothing_and_announces_the_same()
    {
        await Define(Item(onHand: 25m));
        var envelope = Dispatch(DeliveryDispatched(DeliveryNoteId, OrderId, Line(6m)));

        var first = await RunDirectlyAsync(new DeductStock(Tables), envelope);
        var second = await RunDirectlyAsync(new DeductStock(Tables), envelope);

        Assert.Equal([EventTypes.Collector.StockLow], first.Outcome.Events.Select(e => e.Type));
        Assert.Equal(first.Snapshot(), second.Snapshot());
        Assert.Equal(19m, (await Level()).OnHand);
    }

    [Fact]
    public async Task A_crash_half_way_through_the_items_is_finished_by_the_re_run_without_deducting_twice()
    {
        await Define(Item("p-1", onHand: 25m));
        await Define(Item("p-2", onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));
        var envelope = Dispatch(DeliveryDispatched(DeliveryNoteId, OrderId, Line(2m, "p-2"), Line(6m, "p-1")));

        // Writes: the order marked dispatched, p-1 deducted (crossing its reorder level), then the worker dies.
        await Assert.ThrowsAsync<IOException>(() => RunDirectlyAsync(new DeductStock(new CrashingTables(Tables, writesBeforeCrash: 2)), envelope));
        Assert.Equal((19m, 10m), ((await Level("p-1")).OnHand, (await Level("p-2")).OnHand));

        var rerun = await RunDirectlyAsync(new DeductStock(Tables), envelope);

        Assert.Equal([EventTypes.Collector.StockLow], rerun.Outcome.Events.Select(e => e.Type));
        Assert.Equal(19m, rerun.Outcome.Events[0].DataAs<StockLow>()!.CurrentQuantity);
        Assert.Equal([Movement(-2m, "p-2"), Movement(-6m, "p-1")], rerun.Rows<StockMovement>());
        Assert.Equal((19m, 8m), ((await Level("p-1")).OnHand, (await Level("p-2")).OnHand));
    }
}
