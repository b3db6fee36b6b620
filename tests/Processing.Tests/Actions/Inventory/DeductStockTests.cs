using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
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
        Assert.Empty(await Reservations());
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
    public async Task A_crash_half_way_through_the_items_is_finished_by_the_re_run_even_if_others_want_the_stock_meanwhile()
    {
        await Define(Item("p-1", onHand: 25m));
        await Define(Item("p-2", onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));
        var envelope = Dispatch(DeliveryDispatched(DeliveryNoteId, OrderId, Line(2m, "p-2"), Line(6m, "p-1")));

        // Both items held and the dispatch decided, p-1 deducted (crossing its reorder level), then the worker dies applying p-2.
        var decided = false;
        var crashing = CrashingTables.At(Tables, call =>
        {
            decided |= call.Table == StockDispatches.TableName && call.Kind == TableCallKind.Write;
            return decided && call.Writes(StockLevels.TableName, "p-2", Warehouse);
        });
        await Assert.ThrowsAsync<IOException>(() => RunDirectlyAsync(new DeductStock(crashing), envelope));
        Assert.Equal((19m, 10m, 8m), ((await Level("p-1")).OnHand, (await Level("p-2")).OnHand, (await Level("p-2")).Available));
        // Another order takes every unit of p-2 that is free; the dispatch's 2 are held for it.
        await Reserve(OrderCreatedWith("order-other", Line(8m, "p-2")));

        var rerun = await RunDirectlyAsync(new DeductStock(Tables), envelope);

        Assert.Equal([EventTypes.Collector.StockLow], rerun.Outcome.Events.Select(e => e.Type));
        Assert.Equal(19m, rerun.Outcome.Events[0].DataAs<StockLow>()!.CurrentQuantity);
        Assert.Equal([Movement(-2m, "p-2"), Movement(-6m, "p-1")], rerun.Rows<StockMovement>());
        Assert.Equal((19m, 8m, 8m), ((await Level("p-1")).OnHand, (await Level("p-2")).OnHand, (await Level("p-2")).Reserved));
    }

    [Fact]
    public async Task A_crash_while_holding_and_a_re_run_that_finds_the_stock_gone_leaves_every_item_as_it_was()
    {
        await Define(Item("p-1", onHand: 25m));
        await Define(Item("p-2", onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));
        await Reserve(OrderCreatedWith(OrderId, Line(6m, "p-1")));
        var envelope = Dispatch(DeliveryDispatched(DeliveryNoteId, OrderId, Line(2m, "p-2"), Line(6m, "p-1")));

        // p-1 held (its reservation taken over by the dispatch), then the worker dies before holding p-2.
        await Assert.ThrowsAsync<IOException>(() => RunDirectlyAsync(new DeductStock(CrashingTables.At(Tables, call => call.Writes(StockLevels.TableName, "p-2", Warehouse))), envelope));
        await Reserve(OrderCreatedWith("order-other", Line(10m, "p-2")));

        var rerun = await Harness(Tables).ProcessAsync(envelope, new DeductStock(Tables));

        Assert.Equal(ProcessingStatus.DeadLettered, rerun.Status);
        Assert.Equal("$.data.items[0].quantity", rerun.Error!.Path);
        var p1 = await Level("p-1");
        Assert.Equal((25m, 6m, 19m), (p1.OnHand, p1.Reserved, p1.Available));
        Assert.Equivalent(new[] { new StockReservation { OrderId = OrderId, Quantity = 6m, StockLowAt = 19m } }, await Reservations("p-1"), strict: true);
        Assert.Equal((10m, 10m), ((await Level("p-2")).OnHand, (await Level("p-2")).Reserved));
        Assert.Null(await new StockDispatches(Tables).GetAsync(Tenant, DeliveryNoteId, CancellationToken.None));
    }

    [Fact]
    public async Task A_dispatch_that_loses_a_race_for_its_last_item_gives_back_the_items_it_held()
    {
        await Define(Item("p-1", onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));
        await Define(Item("p-2", onHand: 4m, reorderLevel: 0m, minimumThreshold: 0m));
        var second = Dispatch(DeliveryDispatched("dn-b", "order-b", Line(3m, "p-1"), Line(3m, "p-2")));
        ProcessingResult? secondResult = null;
        // Just before the first dispatch writes anything for p-2, a second dispatch comes through in full and takes p-2.
        var racing = new InterceptedTables(Tables, call =>
        {
            if (secondResult is null && call.Writes(StockLevels.TableName, "p-2", Warehouse))
                secondResult = Harness(Tables).ProcessAsync(second, new DeductStock(Tables)).GetAwaiter().GetResult();
        });

        var first = await Harness(racing).ProcessAsync(Dispatch(DeliveryDispatched("dn-a", "order-a", Line(3m, "p-1"), Line(3m, "p-2"))), new DeductStock(racing));

        Assert.Equal(ProcessingStatus.Completed, secondResult!.Status);
        Assert.Equal(ProcessingStatus.DeadLettered, first.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            "Shipping 3 of product 'p-2' from warehouse 'wh-1' exceeds what order 'order-a' may take: its reservation (0) plus free stock (1).",
            "$.data.items[1].quantity"), first.Error);
        Assert.Equal((7m, 0m), ((await Level("p-1")).OnHand, (await Level("p-1")).Reserved));
        Assert.Equal((1m, 0m), ((await Level("p-2")).OnHand, (await Level("p-2")).Reserved));
    }

    [Fact]
    public async Task Dispatches_racing_for_scarce_stock_are_each_deducted_in_full_or_not_at_all()
    {
        await Define(Item("p-1", onHand: 100m, reorderLevel: 0m, minimumThreshold: 0m));
        await Define(Item("p-2", onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => MesEvents.UntilSettled(() => Harness(Tables).ProcessAsync(
            Dispatch(DeliveryDispatched($"dn-{i}", $"order-{i}", Line(2m, "p-1"), Line(3m, "p-2"))), new DeductStock(Tables)))));

        var shipped = results.Count(r => r.Status == ProcessingStatus.Completed);
        Assert.Equal(3, shipped);
        Assert.Equal(5, results.Count(r => r.Status == ProcessingStatus.DeadLettered));
        Assert.Equal((100m - 2m * shipped, 0m), ((await Level("p-1")).OnHand, (await Level("p-1")).Reserved));
        Assert.Equal((10m - 3m * shipped, 0m), ((await Level("p-2")).OnHand, (await Level("p-2")).Reserved));
    }
}
