using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Inventory;

public sealed class StockConcurrencyOnAzurite(AzuriteFixture azurite) : StockConcurrencyTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class StockConcurrencyInMemory : StockConcurrencyTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

/// <summary>Several workers on one stock level at once, each with its own pipeline (none sees another's claims).</summary>
public abstract class StockConcurrencyTests : StockTests
{
    private Task<ProcessingResult> Reserve(string orderId, decimal quantity, string productId = Product) =>
        Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith(orderId, Line(quantity, productId))), new ReserveStock(Tables));

    private Task<ProcessingResult> Dispatch(string deliveryNoteId, string orderId, decimal quantity) =>
        Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.DeliveryDispatched, Tenant, DeliveryDispatched(deliveryNoteId, orderId, Line(quantity))), new DeductStock(Tables));

    private Task<ProcessingResult> Receive(decimal quantity, int n) =>
        Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.StockReceived, Tenant,
            StockReceived(quantity, receivedAt: $"2024-01-20T08:00:{n:D2}.000Z")), new ReceiveStock(Tables));

    [Fact]
    public async Task Two_orders_racing_for_the_last_units_one_gets_them_and_the_other_is_told_it_failed()
    {
        await Define(Item(onHand: 5m, reorderLevel: 0m, minimumThreshold: 0m));

        var results = await Task.WhenAll(Reserve("order-a", 5m), Reserve("order-b", 5m));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var types = results.Select(r => Assert.Single(r.Outcome.Events).Type).Order().ToArray();
        Assert.Equal([EventTypes.Collector.StockReservationFailed, EventTypes.Collector.StockReserved], types);
        var winner = results.Single(r => r.Outcome.Events[0].Type == EventTypes.Collector.StockReserved).Outcome.Events[0].Payload<StockReserved>().OrderId;
        var level = await Level();
        Assert.Equal((5m, 0m), (level.Reserved, level.Available));
        Assert.Equal(winner, Assert.Single(await Reservations()).OrderId);
    }

    [Fact]
    public async Task Many_orders_racing_for_scarce_stock_never_take_more_than_is_on_hand()
    {
        await Define(Item(onHand: 10m, reorderLevel: 0m, minimumThreshold: 0m));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Reserve($"order-{i}", 3m)));

        var reserved = results.Count(r => r.Outcome.Events[0].Type == EventTypes.Collector.StockReserved);
        Assert.Equal(3, reserved);
        Assert.Equal(5, results.Count(r => r.Outcome.Events[0].Type == EventTypes.Collector.StockReservationFailed));
        var level = await Level();
        Assert.Equal((9m, 1m), (level.Reserved, level.Available));
    }

    [Fact]
    public async Task Two_orders_wanting_the_same_two_products_in_opposite_line_order_never_both_fail_for_lack_of_each_other()
    {
        await Define(Item("p-1", onHand: 1m, reorderLevel: 0m, minimumThreshold: 0m));
        await Define(Item("p-2", onHand: 1m, reorderLevel: 0m, minimumThreshold: 0m));

        var results = await Task.WhenAll(
            Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith("order-a", Line(1m, "p-1"), Line(1m, "p-2"))), new ReserveStock(Tables)),
            Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith("order-b", Line(1m, "p-2"), Line(1m, "p-1"))), new ReserveStock(Tables)));

        Assert.Single(results, r => r.Outcome.Events[0].Type == EventTypes.Collector.StockReserved);
        Assert.Equal((1m, 1m), ((await Level("p-1")).Reserved, (await Level("p-2")).Reserved));
    }

    [Fact]
    public async Task Concurrent_receipts_and_dispatches_leave_the_exact_quantity_on_hand()
    {
        await Define(Item(onHand: 100m, reorderLevel: 0m, minimumThreshold: 0m));
        for (var i = 0; i < 8; i++) Assert.Equal(ProcessingStatus.Completed, (await Reserve($"order-{i}", 4m)).Status);

        var work = Enumerable.Range(0, 8).Select(i => Dispatch($"dn-{i}", $"order-{i}", 4m))
            .Concat(Enumerable.Range(0, 8).Select(i => Receive(i + 1m, i)))
            .ToArray();
        var results = await Task.WhenAll(work);

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var level = await Level();
        Assert.Equal(100m - 32m + 36m, level.OnHand); // 8 x 4 shipped, 1 + 2 + ... + 8 received
        Assert.Empty(await Reservations());
    }

    [Fact]
    public async Task One_stock_low_per_crossing_even_when_the_fall_is_concurrent()
    {
        await Define(Item(onHand: 40m));

        var firstFall = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Reserve($"order-{i}", 3m))); // 40 -> 10
        var refill = await Receive(30m, 0); // 40: armed again
        var secondFall = await Task.WhenAll(Enumerable.Range(10, 10).Select(i => Reserve($"order-{i}", 3m))); // 40 -> 10

        Assert.All(firstFall.Concat(secondFall), r => Assert.Equal(EventTypes.Collector.StockReserved, r.Outcome.Events[0].Type));
        var firstLow = Assert.Single(firstFall.SelectMany(r => r.Outcome.Events), e => e.Type == EventTypes.Collector.StockLow);
        Assert.Equal(19m, firstLow.Payload<StockLow>().CurrentQuantity); // the reservation that took 22 to 19
        Assert.Equal(ProcessingStatus.Completed, refill.Status);
        Assert.Single(secondFall.SelectMany(r => r.Outcome.Events), e => e.Type == EventTypes.Collector.StockLow);
        Assert.Equal(10m, (await Level()).Available);
    }

    [Fact]
    public async Task Concurrent_copies_of_one_order_hold_its_stock_once_and_one_of_them_announces_it()
    {
        await Define(Item(onHand: 50m));

        // Re-sent copies are different events to the pipeline (different timestamps, so different ids).
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Harness(Tables).ProcessAsync(
            Envelope(EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith(OrderId, Line(35m)), $"2024-01-15T10:35:0{i}.000Z"), new ReserveStock(Tables))));

        var events = results.SelectMany(r => r.Outcome.Events).ToArray();
        Assert.Equal([EventTypes.Collector.StockReserved, EventTypes.Collector.StockLow], events.Select(e => e.Type));
        Assert.Equal(15m, events[1].Payload<StockLow>().CurrentQuantity);
        var level = await Level();
        Assert.Equal((35m, 15m), (level.Reserved, level.Available));
    }
}
