using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
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

public abstract class ReserveStockTests
{
    private readonly string _tenant = NewTenant();
    private PipelineHarness? _harness;

    protected abstract ITableServiceClient Tables { get; }

    private PipelineHarness Pipeline => _harness ??= Harness(Tables);

    private StockLevels Stock => new(Tables);

    private Task Define(decimal onHand, decimal reorderLevel = 10m, string warehouseId = "wh-1", string productId = ProductId) =>
        Stock.DefineStockAsync(_tenant, warehouseId, productId, onHand, reorderLevel, 5m, "Product Name", "SKU-123", "Main " + warehouseId);

    private static JsonObject Order(string orderId = OrderId, decimal quantity = 5m, string? warehouseId = "wh-1", string orderNumber = "ORD-2024-001")
    {
        var order = OrderCreated();
        order["orderId"] = orderId;
        order["orderNumber"] = orderNumber;
        order["lineItems"]![0]!["quantity"] = quantity;
        if (warehouseId is null) ((JsonObject)order["lineItems"]![0]!).Remove("warehouseId");
        else order["lineItems"]![0]!["warehouseId"] = warehouseId;
        return order;
    }

    private Task<ProcessingResult> Reserve(JsonObject? order = null, PipelineHarness? pipeline = null, string timestamp = "2024-01-15T10:30:00.000Z") =>
        (pipeline ?? Pipeline).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, _tenant, order ?? Order(), timestamp), new ReserveStock(Tables));

    private async Task<StockLevel> Level(string warehouseId = "wh-1") => (await Stock.GetAsync(_tenant, warehouseId, ProductId))!;

    [Fact]
    public async Task Order_with_stock_is_reserved_and_crossing_the_reorder_level_signals_stock_low()
    {
        await Define(onHand: 12m);

        var result = await Reserve();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], result.Outcome.Events.Select(e => e.Type));
        var reserved = result.Outcome.Events[0].Payload<StockReserved>();
        Assert.Equal(OrderId, reserved.OrderId);
        Assert.Equal("ORD-2024-001", reserved.OrderNumber);
        Assert.Equal([new StockReservationLine { ProductId = ProductId, WarehouseId = "wh-1", Quantity = 5m }], reserved.Lines);
        Assert.Equal(new StockLow
        {
            ProductId = ProductId, ProductName = "Product Name", Sku = "SKU-123", WarehouseId = "wh-1", WarehouseName = "Main wh-1",
            CurrentQuantity = 7m, MinimumThreshold = 5m, ReorderLevel = 10m,
        }, result.Outcome.Events[1].Payload<StockLow>());
        var level = await Level();
        Assert.Equal(12m, level.OnHand);
        Assert.Equal(7m, level.Available);
        Assert.False(level.LowArmed);
    }

    [Fact]
    public async Task Stock_low_fires_once_per_crossing_not_on_later_reservations()
    {
        await Define(onHand: 20m);

        var above = await Reserve(Order("o-1", 5m));
        var crossing = await Reserve(Order("o-2", 6m));
        var further = await Reserve(Order("o-3", 2m));

        Assert.Equal([EventTypes.Collector.StockReserved], above.Outcome.Events.Select(e => e.Type));
        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], crossing.Outcome.Events.Select(e => e.Type));
        Assert.Equal(9m, crossing.Outcome.Events[1].Payload<StockLow>().CurrentQuantity);
        Assert.Equal([EventTypes.Collector.StockReserved], further.Outcome.Events.Select(e => e.Type));
        Assert.Equal(7m, (await Level()).Available);
    }

    [Fact]
    public async Task Order_short_of_stock_holds_nothing_and_lists_its_shortages()
    {
        await Define(onHand: 10m, warehouseId: "wh-1");
        await Stock.DefineStockAsync(_tenant, "wh-1", "p-cable", 3m, 1m, 1m, "Cable", "SKU-C", "Main wh-1");
        var order = Order(quantity: 4m);
        ((JsonArray)order["lineItems"]!).Add(new JsonObject
        {
            ["productId"] = "p-cable", ["description"] = "Cable", ["quantity"] = 5, ["unitPrice"] = "2.00", ["warehouseId"] = "wh-1",
        });

        var result = await Reserve(order);

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var failed = Assert.Single(result.Outcome.Events);
        Assert.Equal(EventTypes.Collector.StockReservationFailed, failed.Type);
        var payload = failed.Payload<StockReservationFailed>();
        Assert.Equal("Insufficient stock for 1 of 2 line(s).", payload.Reason);
        Assert.Equal([new StockShortage { ProductId = "p-cable", WarehouseId = "wh-1", RequestedQuantity = 5m, AvailableQuantity = 3m }], payload.Shortages);
        var level = await Level();
        Assert.Empty(level.Reservations);
        Assert.Equal(10m, level.Available);
        Assert.True(level.LowArmed);
        Assert.Empty((await Stock.GetAsync(_tenant, "wh-1", "p-cable"))!.Reservations);
    }

    [Fact]
    public async Task Line_without_warehouse_takes_the_first_warehouse_that_covers_it()
    {
        await Define(onHand: 2m, warehouseId: "wh-1");
        await Define(onHand: 50m, warehouseId: "wh-2");

        var result = await Reserve(Order(quantity: 5m, warehouseId: null));

        Assert.Equal([new StockReservationLine { ProductId = ProductId, WarehouseId = "wh-2", Quantity = 5m }],
            Assert.Single(result.Outcome.Events).Payload<StockReserved>().Lines);
    }

    [Fact]
    public async Task Two_orders_racing_for_the_last_units_exactly_one_gets_them()
    {
        await Define(onHand: 5m, reorderLevel: 0m);

        var results = await Task.WhenAll(
            Task.Run(() => Reserve(Order("o-a", 5m), Harness(Tables))),
            Task.Run(() => Reserve(Order("o-b", 5m), Harness(Tables))));

        var types = results.Select(r => Assert.Single(r.Outcome.Events).Type).Order().ToArray();
        Assert.Equal([EventTypes.Collector.StockReservationFailed, EventTypes.Collector.StockReserved], types);
        var loser = results.Select(r => r.Outcome.Events[0]).Single(e => e.Type == EventTypes.Collector.StockReservationFailed).Payload<StockReservationFailed>();
        Assert.Equal(0m, Assert.Single(loser.Shortages).AvailableQuantity);
        var level = await Level();
        Assert.Equal(5m, Assert.Single(level.Reservations).Value);
        Assert.Equal(0m, level.Available);
    }

    [Fact]
    public async Task Many_concurrent_orders_signal_one_stock_low_and_never_over_reserve()
    {
        await Define(onHand: 20m, reorderLevel: 15m);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Reserve(Order($"o-{i}", 3m), Harness(Tables)))));

        var events = results.SelectMany(r => r.Outcome.Events).ToArray();
        Assert.Equal(6, events.Count(e => e.Type == EventTypes.Collector.StockReserved));
        Assert.Equal(2, events.Count(e => e.Type == EventTypes.Collector.StockReservationFailed));
        Assert.Single(events, e => e.Type == EventTypes.Collector.StockLow);
        Assert.Equal(2m, (await Level()).Available);
    }

    [Fact]
    public async Task Duplicate_replays_re_run_repeats_and_a_re_sent_order_reserves_nothing_more()
    {
        await Define(onHand: 12m);

        var first = await Reserve();
        var duplicate = await Reserve();
        var rerun = await Reserve(pipeline: Harness(Tables));
        var resent = await Reserve(timestamp: "2024-01-15T12:00:00.000Z");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(ProcessingStatus.Completed, rerun.Status);
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.True(resent.Outcome.IsEmpty);
        Assert.Equal(7m, (await Level()).Available);
    }

    [Fact]
    public async Task Re_run_after_a_crash_before_the_decision_was_recorded_holds_once_and_signals_the_same_stock_low()
    {
        await Define(onHand: 12m);
        // What the first run did to the stock before the worker died: held the line and crossed the reorder level.
        await Stock.ChangeAsync(_tenant, "wh-1", ProductId, "$", level =>
            (level with { Reservations = new Dictionary<string, decimal> { [OrderId] = 5m } }).Settle(ReserveStock.Cause(OrderId)), CancellationToken.None);

        var rerun = await Reserve();

        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], rerun.Outcome.Events.Select(e => e.Type));
        Assert.Equal(7m, rerun.Outcome.Events[1].Payload<StockLow>().CurrentQuantity);
        Assert.Equal(7m, (await Level()).Available);
    }

    [Fact]
    public async Task Re_run_of_a_failed_order_fails_the_same_way_even_after_stock_arrives()
    {
        await Define(onHand: 3m);
        var first = await Reserve();
        await Define(onHand: 30m);

        var rerun = await Reserve(pipeline: Harness(Tables));

        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal(EventTypes.Collector.StockReservationFailed, Assert.Single(rerun.Outcome.Events).Type);
        Assert.Empty((await Level()).Reservations);
    }

    [Fact]
    public async Task Invalid_orders_are_dead_lettered_with_the_reason()
    {
        await Define(onHand: 12m);
        var unknownProduct = Order(orderId: "o-2", warehouseId: null);
        unknownProduct["lineItems"]![0]!["productId"] = "p-unknown";

        var results = new[]
        {
            await Reserve(Order(quantity: 0m)),
            await Reserve(Order(warehouseId: "wh-unknown")),
            await Reserve(unknownProduct),
        };

        Assert.All(results, r => Assert.Equal(ProcessingStatus.DeadLettered, r.Status));
        Assert.Equal(
        [
            new EventError(EventErrorCode.InvalidValue, "quantity must be positive, but is 0.", "$.data.lineItems[0].quantity"),
            new EventError(EventErrorCode.InvalidValue, $"No stock of product '{ProductId}' is defined in warehouse 'wh-unknown'.", "$.data.lineItems[0]"),
            new EventError(EventErrorCode.InvalidValue, "No stock of product 'p-unknown' is defined in any warehouse.", "$.data.lineItems[0].productId"),
        ], results.Select(r => r.Error));
        Assert.Empty((await Level()).Reservations);
    }
}
