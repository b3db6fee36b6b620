using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.Processing.Tests.State;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Inventory;

public sealed class ReserveStockOnAzurite(AzuriteFixture azurite) : ReserveStockTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class ReserveStockInMemory : ReserveStockTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class ReserveStockTests : StockTests
{
    private const string CreatedAt = "2024-01-15T10:35:00.000Z";

    private string Order(JsonObject order, string timestamp = CreatedAt, string? tenant = null) =>
        Envelope(EventTypes.Collector.OrderCreated, tenant ?? Tenant, order, timestamp);

    private Task<ProcessingResult> Reserve(JsonObject order, string timestamp = CreatedAt, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Order(order, timestamp), new ReserveStock(Tables));

    private static StockReservationLine Reserved(decimal quantity, string productId = Product, string warehouseId = Warehouse) =>
        new() { ProductId = productId, WarehouseId = warehouseId, Quantity = quantity };

    private static StockLow Low(decimal current, string productId = Product, decimal reorderLevel = 20m, decimal minimumThreshold = 10m) => new()
    {
        ProductId = productId,
        ProductName = $"Product {productId}",
        Sku = $"SKU-{productId}",
        WarehouseId = Warehouse,
        WarehouseName = WarehouseName,
        CurrentQuantity = current,
        MinimumThreshold = minimumThreshold,
        ReorderLevel = reorderLevel,
    };

    [Fact]
    public async Task An_order_in_stock_holds_every_line_in_its_warehouse()
    {
        await Define(Item(onHand: 100m));
        await Define(Item("p-2", onHand: 10m, reorderLevel: 2m, minimumThreshold: 0m));

        var result = await Reserve(OrderCreatedWith(OrderId, Line(5m), Line(3m, "p-2")));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var reserved = Assert.Single(result.Outcome.Events);
        AssertEvent(reserved, EventTypes.Collector.StockReserved, OrderId, new StockReserved
        {
            OrderId = OrderId, OrderNumber = "ORD-" + OrderId, Lines = [Reserved(5m), Reserved(3m, "p-2")],
        });
        Assert.Empty(result.Outcome.Records);
        var level = await Level();
        Assert.Equal((100m, 5m, 95m), (level.OnHand, level.Reserved, level.Available));
        Assert.Equivalent(new[] { new StockReservation { OrderId = OrderId, Quantity = 5m } }, await Reservations(), strict: true);
        Assert.Equal(7m, (await Level("p-2")).Available);
    }

    [Fact]
    public async Task Stock_low_fires_on_the_reservation_that_crosses_below_the_reorder_level_and_not_after()
    {
        await Define(Item(onHand: 30m));

        var above = await Reserve(OrderCreatedWith("order-a", Line(8m)));
        var crossing = await Reserve(OrderCreatedWith("order-b", Line(5m)));
        var below = await Reserve(OrderCreatedWith("order-c", Line(2m)));

        Assert.Equal([EventTypes.Collector.StockReserved], above.Outcome.Events.Select(e => e.Type));
        Assert.Equal(2, crossing.Outcome.Events.Count);
        AssertEvent(crossing.Outcome.Events[1], EventTypes.Collector.StockLow, Product, Low(17m));
        Assert.Equal([EventTypes.Collector.StockReserved], below.Outcome.Events.Select(e => e.Type));
        var level = await Level();
        Assert.Equal((15m, false), (level.Available, level.LowArmed));
    }

    [Fact]
    public async Task Exactly_the_available_quantity_can_be_reserved_and_nothing_more()
    {
        await Define(Item(onHand: 5m, reorderLevel: 0m, minimumThreshold: 0m));

        var all = await Reserve(OrderCreatedWith("order-a", Line(5m)));
        var more = await Reserve(OrderCreatedWith("order-b", Line(0.001m)));

        Assert.Equal([EventTypes.Collector.StockReserved], all.Outcome.Events.Select(e => e.Type));
        AssertEvent(Assert.Single(more.Outcome.Events), EventTypes.Collector.StockReservationFailed, "order-b", new StockReservationFailed
        {
            OrderId = "order-b",
            OrderNumber = "ORD-order-b",
            Reason = "Not enough stock for 1 of 1 lines; nothing is reserved for the order.",
            Shortages = [new StockShortage { ProductId = Product, WarehouseId = Warehouse, RequestedQuantity = 0.001m, AvailableQuantity = 0m }],
        });
        Assert.Equal((5m, 0m), ((await Level()).Reserved, (await Level()).Available));
    }

    [Fact]
    public async Task An_order_with_a_short_line_holds_nothing_and_names_every_short_line()
    {
        await Define(Item("p-1", onHand: 50m));
        await Define(Item("p-2", onHand: 2m));
        await Define(Item("p-3", onHand: 4m));

        var result = await Reserve(OrderCreatedWith(OrderId, Line(3m, "p-3"), Line(10m, "p-1"), Line(3m, "p-2")));

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        AssertEvent(Assert.Single(result.Outcome.Events), EventTypes.Collector.StockReservationFailed, OrderId, new StockReservationFailed
        {
            OrderId = OrderId,
            OrderNumber = "ORD-" + OrderId,
            Reason = "Not enough stock for 1 of 3 lines; nothing is reserved for the order.",
            Shortages = [new StockShortage { ProductId = "p-2", WarehouseId = Warehouse, RequestedQuantity = 3m, AvailableQuantity = 2m }],
        });
        Assert.Equal(0m, (await Level("p-1")).Reserved);
        Assert.Equal(0m, (await Level("p-3")).Reserved);

        var twoShort = await Reserve(OrderCreatedWith("order-2", Line(60m, "p-1"), Line(3m, "p-3"), Line(5m, "p-2")));

        var failed = Assert.Single(twoShort.Outcome.Events).DataAs<StockReservationFailed>()!;
        Assert.Equal("Not enough stock for 2 of 3 lines; nothing is reserved for the order.", failed.Reason);
        Assert.Equal([("p-1", 60m, 50m), ("p-2", 5m, 2m)], failed.Shortages.Select(s => (s.ProductId, s.RequestedQuantity, s.AvailableQuantity)));
        Assert.Equal([0m, 0m, 0m], [(await Level("p-1")).Reserved, (await Level("p-2")).Reserved, (await Level("p-3")).Reserved]);
    }

    [Fact]
    public async Task A_failed_order_announces_no_stock_low_and_leaves_the_level_armed_for_the_next_real_fall()
    {
        await Define(Item("p-1", onHand: 25m));
        await Define(Item("p-2", onHand: 1m, reorderLevel: 0m, minimumThreshold: 0m));

        var failed = await Reserve(OrderCreatedWith("order-a", Line(10m, "p-1"), Line(3m, "p-2")));
        var next = await Reserve(OrderCreatedWith("order-b", Line(10m, "p-1")));

        Assert.Equal([EventTypes.Collector.StockReservationFailed], failed.Outcome.Events.Select(e => e.Type));
        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], next.Outcome.Events.Select(e => e.Type));
        AssertEvent(next.Outcome.Events[1], EventTypes.Collector.StockLow, "p-1", Low(15m, "p-1"));
    }

    [Fact]
    public async Task A_failed_order_already_below_the_reorder_level_gives_back_the_stock_low_it_took()
    {
        // Armed below the level (a purchase order was received short): the failed order's fall must not use up the signal.
        await Define(Item("p-1", onHand: 15m));
        await Define(Item("p-2", onHand: 0m, reorderLevel: 0m, minimumThreshold: 0m));

        await Reserve(OrderCreatedWith("order-a", Line(2m, "p-1"), Line(1m, "p-2")));
        var next = await Reserve(OrderCreatedWith("order-b", Line(1m, "p-1")));

        AssertEvent(next.Outcome.Events[1], EventTypes.Collector.StockLow, "p-1", Low(14m, "p-1"));
    }

    [Fact]
    public async Task Lines_of_one_product_in_one_warehouse_are_held_together()
    {
        await Define(Item(onHand: 100m));

        var result = await Reserve(OrderCreatedWith(OrderId, Line(2m), Line(3.5m)));

        Assert.Equivalent(new[] { Reserved(5.5m) }, result.Outcome.Events[0].DataAs<StockReserved>()!.Lines, strict: true);
        Assert.Equal(5.5m, (await Level()).Reserved);
    }

    [Fact]
    public async Task A_line_without_a_warehouse_goes_to_the_only_or_the_primary_warehouse()
    {
        await Define(Item("p-1", "wh-north"));
        await Define(Item("p-2", "wh-north"));
        await Define(Item("p-2", "wh-south", primary: true));

        var result = await Reserve(OrderCreatedWith(OrderId, Line(1m, "p-1", null), Line(2m, "p-2", null)));

        Assert.Equivalent(new[] { Reserved(1m, "p-1", "wh-north"), Reserved(2m, "p-2", "wh-south") },
            result.Outcome.Events[0].DataAs<StockReserved>()!.Lines, strict: true);
        Assert.Equal(2m, (await Level("p-2", "wh-south")).Reserved);
        Assert.Equal(0m, (await Level("p-2", "wh-north")).Reserved);
    }

    [Fact]
    public async Task A_line_without_a_warehouse_for_a_product_in_several_and_none_primary_is_dead_lettered()
    {
        await Define(Item("p-1", "wh-north"));
        await Define(Item("p-1", "wh-south"));

        var result = await Reserve(OrderCreatedWith(OrderId, Line(1m, "p-1", null)));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            "The line names no warehouse, and product 'p-1' is stocked in 2 warehouses (wh-north, wh-south) without one primary warehouse.",
            "$.data.lineItems[0].warehouseId"), result.Error);
    }

    [Fact]
    public async Task An_unknown_product_is_invalid_input_and_nothing_of_the_order_is_held()
    {
        await Define(Item(onHand: 100m));

        var inWarehouse = await Reserve(OrderCreatedWith(OrderId, Line(5m), Line(1m, "p-unknown")));
        var anywhere = await Reserve(OrderCreatedWith("order-2", Line(1m, "p-unknown", null)));

        Assert.Equal(ProcessingStatus.DeadLettered, inWarehouse.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "Product 'p-unknown' is not stocked in warehouse 'wh-1'.", "$.data.lineItems[1].productId"), inWarehouse.Error);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "Product 'p-unknown' is not stocked in any warehouse.", "$.data.lineItems[0].productId"), anywhere.Error);
        Assert.Equal(0m, (await Level()).Reserved);
        Assert.Null(await new OrderReservations(Tables).GetAsync(Tenant, OrderId));
    }

    [Fact]
    public async Task AnotherTenants_stock_is_unknown()
    {
        await new StockLevels(Tables).DefineAsync(NewTenant(), Item());

        var result = await Reserve(OrderCreatedWith());

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal("Product 'p-4711' is not stocked in warehouse 'wh-1'.", result.Error!.Message);
    }

    [Theory]
    [InlineData("0", "quantity must be positive, but is 0.")]
    [InlineData("-2", "quantity must be positive, but is -2.")]
    public async Task A_quantity_that_makes_no_sense_is_dead_lettered(string quantity, string message)
    {
        await Define(Item());
        var order = OrderCreatedWith(OrderId, Line(1m), Line(1m, "p-2"));
        order["lineItems"]![1]!["quantity"] = quantity;

        var result = await Reserve(order);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data.lineItems[1].quantity"), result.Error);
        Assert.Equal(0m, (await Level()).Reserved);
    }

    [Fact]
    public async Task A_duplicate_replays_and_a_re_sent_copy_of_the_order_changes_nothing()
    {
        await Define(Item(onHand: 22m));

        var first = await Reserve(OrderCreatedWith(OrderId, Line(5m)));
        var duplicate = await Reserve(OrderCreatedWith(OrderId, Line(5m)));
        var resent = await Reserve(OrderCreatedWith(OrderId, Line(5m)), timestamp: "2024-01-15T10:36:00.000Z");

        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], first.Outcome.Events.Select(e => e.Type));
        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, resent.Status);
        Assert.True(resent.Outcome.IsEmpty);
        var level = await Level();
        Assert.Equal((5m, 17m, false), (level.Reserved, level.Available, level.LowArmed));
    }

    [Fact]
    public async Task Running_the_handler_again_after_a_crash_before_completion_changes_nothing_and_announces_the_same()
    {
        await Define(Item(onHand: 22m));
        var envelope = Order(OrderCreatedWith(OrderId, Line(5m)));

        var first = await RunDirectlyAsync(new ReserveStock(Tables), envelope);
        var second = await RunDirectlyAsync(new ReserveStock(Tables), envelope);

        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], first.Outcome.Events.Select(e => e.Type));
        Assert.Equal(first.Snapshot(), second.Snapshot());
        var level = await Level();
        Assert.Equal((5m, false), (level.Reserved, level.LowArmed));
    }

    [Fact]
    public async Task A_crash_half_way_through_the_lines_is_finished_by_the_re_run_with_the_stock_low_of_the_first_run()
    {
        await Define(Item("p-1", onHand: 22m));
        await Define(Item("p-2", onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));
        var envelope = Order(OrderCreatedWith(OrderId, Line(4m, "p-2"), Line(5m, "p-1")));

        // p-1 is taken first (levels are taken in product order) and crosses its reorder level; then the worker dies.
        var crashing = CrashingTables.At(Tables, call => call.Writes(StockLevels.TableName, "p-2", Warehouse));
        await Assert.ThrowsAsync<IOException>(() => RunDirectlyAsync(new ReserveStock(crashing), envelope));
        Assert.Equal((5m, 0m), ((await Level("p-1")).Reserved, (await Level("p-2")).Reserved));

        var rerun = await RunDirectlyAsync(new ReserveStock(Tables), envelope);

        Assert.Equal(2, rerun.Outcome.Events.Count);
        AssertEvent(rerun.Outcome.Events[0], EventTypes.Collector.StockReserved, OrderId, new StockReserved
        {
            OrderId = OrderId, OrderNumber = "ORD-" + OrderId, Lines = [Reserved(4m, "p-2"), Reserved(5m, "p-1")],
        });
        AssertEvent(rerun.Outcome.Events[1], EventTypes.Collector.StockLow, "p-1", Low(17m, "p-1"));
        Assert.Equal((5m, 4m), ((await Level("p-1")).Reserved, (await Level("p-2")).Reserved));
    }

    [Fact]
    public async Task A_crash_after_deciding_a_failure_is_finished_by_the_re_run_which_gives_the_stock_back()
    {
        await Define(Item("p-1", onHand: 22m));
        await Define(Item("p-2", onHand: 1m, reorderLevel: 0m, minimumThreshold: 0m));
        var envelope = Order(OrderCreatedWith(OrderId, Line(5m, "p-1"), Line(4m, "p-2")));

        // p-1 held, failure decided, then the worker dies before giving p-1 back.
        var decided = false;
        var crashing = CrashingTables.At(Tables, call =>
        {
            decided |= call.Table == OrderReservations.TableName && call.Kind == TableCallKind.Write;
            return decided && call.Writes(StockLevels.TableName, "p-1", Warehouse);
        });
        await Assert.ThrowsAsync<IOException>(() => RunDirectlyAsync(new ReserveStock(crashing), envelope));
        Assert.Equal(5m, (await Level("p-1")).Reserved);

        var rerun = await RunDirectlyAsync(new ReserveStock(Tables), envelope);
        var again = await RunDirectlyAsync(new ReserveStock(Tables), envelope);

        Assert.Equal([EventTypes.Collector.StockReservationFailed], rerun.Outcome.Events.Select(e => e.Type));
        Assert.Equal(rerun.Snapshot(), again.Snapshot());
        var level = await Level("p-1");
        Assert.Equal((0m, true), (level.Reserved, level.LowArmed));
    }

    [Fact]
    public async Task An_order_created_arriving_after_its_dispatch_reserves_nothing()
    {
        await Define(Item(onHand: 100m));
        await Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.DeliveryDispatched, Tenant, DeliveryDispatched()), new DeductStock(Tables));

        var late = await Reserve(OrderCreatedWith());

        Assert.Equal(ProcessingStatus.Completed, late.Status);
        Assert.True(late.Outcome.IsEmpty);
        var level = await Level();
        Assert.Equal((95m, 0m), (level.OnHand, level.Reserved));
    }
}
