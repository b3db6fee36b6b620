using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Actions.Procurement;
using EventProcessors.Processing.Actions.Procurement.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;
using PurchaseOrderRow = EventProcessors.Processing.Actions.Procurement.PurchaseOrder;

namespace EventProcessors.Processing.Tests.Actions.Procurement;

public sealed class CreatePurchaseOrderOnAzurite(AzuriteFixture azurite) : CreatePurchaseOrderTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class CreatePurchaseOrderInMemory : CreatePurchaseOrderTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class CreatePurchaseOrderTests : ActionTests
{
    private const string LowAt = "2024-01-15T09:00:00.000Z";

    /// <summary>Seed 003's stock.low example, for one product in one warehouse.</summary>
    private static JsonObject StockLowData(string currentQuantity = "5", string reorderLevel = "20", string warehouseId = Warehouse) => new()
    {
        ["productId"] = Product,
        ["productName"] = "Product Name",
        ["sku"] = "SKU-123",
        ["warehouseId"] = warehouseId,
        ["warehouseName"] = "Main Warehouse",
        ["currentQuantity"] = JsonNode.Parse(currentQuantity),
        ["minimumThreshold"] = 10,
        ["reorderLevel"] = JsonNode.Parse(reorderLevel),
    };

    private string Low(JsonObject data, string timestamp = LowAt) => Envelope(EventTypes.Collector.StockLow, Tenant, data, timestamp);

    private Task<ProcessingResult> Raise(JsonObject? data = null, string timestamp = LowAt, PipelineHarness? pipeline = null) =>
        (pipeline ?? Pipeline).ProcessAsync(Low(data ?? StockLowData(), timestamp), new CreatePurchaseOrder(Tables));

    private Task<PurchaseOrderBook?> Book(string warehouseId = Warehouse) => new PurchaseOrderBooks(Tables).GetAsync(Tenant, Product, warehouseId);

    [Fact]
    public async Task Seed_stock_low_raises_a_purchase_order_up_to_the_reorder_level()
    {
        var result = await Raise();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        var id = DerivedIds.Uuid("purchase-order", Tenant, result.Event!.Id);
        const string number = "PO-2024-000001"; // the tenant's first order of 2024
        AssertEvent(Assert.Single(result.Outcome.Events), EventTypes.Collector.PurchaseOrderCreated, id, new PurchaseOrderCreated
        {
            PurchaseOrderId = id, PurchaseOrderNumber = number, ProductId = Product, Sku = "SKU-123", WarehouseId = Warehouse,
            Quantity = 15m, CurrentQuantity = 5m, ReorderLevel = 20m,
        });
        Assert.Equal(
        [
            new PurchaseOrderRow
            {
                PurchaseOrderId = id, TenantId = Tenant, PurchaseOrderNumber = number, ProductId = Product, ProductName = "Product Name", Sku = "SKU-123",
                WarehouseId = Warehouse, WarehouseName = "Main Warehouse", Quantity = 15m, CurrentQuantity = 5m, ReorderLevel = 20m,
                CreatedAt = DateTimeOffset.Parse(LowAt),
            },
        ], result.Rows<PurchaseOrderRow>());
        var order = Assert.Single((await Book())!.Orders);
        Assert.Equal((id, PurchaseOrderStatus.Open), (order.PurchaseOrderId, order.Status));
    }

    [Fact]
    public async Task No_second_order_while_one_is_open_for_the_product_and_warehouse_but_another_warehouse_gets_its_own()
    {
        await Raise();

        var again = await Raise(StockLowData("3"), "2024-01-16T09:00:00.000Z");
        var elsewhere = await Raise(StockLowData("1", warehouseId: "wh-2"), "2024-01-16T09:00:00.000Z");

        Assert.Equal(ProcessingStatus.Completed, again.Status);
        Assert.True(again.Outcome.IsEmpty);
        Assert.Single((await Book())!.Orders);
        Assert.Equal(19m, Assert.Single(elsewhere.Outcome.Events).Payload<PurchaseOrderCreated>().Quantity);
    }

    [Fact]
    public async Task A_duplicate_replays_and_a_re_run_after_a_crash_raises_the_same_order_once()
    {
        var first = await Raise();

        var duplicate = await Raise();
        var rerun = await RunDirectlyAsync(new CreatePurchaseOrder(Tables), Low(StockLowData()));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Single((await Book())!.Orders);
    }

    [Theory]
    [InlineData("20", "20", "currentQuantity 20 is not below reorderLevel 20; there is nothing to order.", "$.data.currentQuantity")]
    [InlineData("25", "20", "currentQuantity 25 is not below reorderLevel 20; there is nothing to order.", "$.data.currentQuantity")]
    [InlineData("-1", "20", "currentQuantity must not be negative, but is -1.", "$.data.currentQuantity")]
    [InlineData("0", "0", "reorderLevel must be positive, but is 0.", "$.data.reorderLevel")]
    public async Task A_stock_low_with_nothing_to_order_is_dead_lettered(string current, string reorderLevel, string message, string path)
    {
        var result = await Raise(StockLowData(current, reorderLevel));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, path), result.Error);
        Assert.Null(await Book());
    }

    [Fact]
    public async Task Concurrent_stock_lows_for_one_product_and_warehouse_raise_one_order()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Raise(StockLowData($"{i}"), $"2024-01-15T09:00:0{i}.000Z", Harness(Tables))));

        Assert.All(results, r => Assert.Equal(ProcessingStatus.Completed, r.Status));
        var created = Assert.Single(results.SelectMany(r => r.Outcome.Events));
        var order = Assert.Single((await Book())!.Orders);
        Assert.Equal(order.PurchaseOrderId, created.Payload<PurchaseOrderCreated>().PurchaseOrderId);
        Assert.Equal(order.PurchaseOrderNumber, created.Payload<PurchaseOrderCreated>().PurchaseOrderNumber);
    }

    [Fact]
    public async Task The_procurement_loop_receipts_close_the_order_and_the_next_fall_raises_a_new_one()
    {
        await new StockLevels(Tables).DefineAsync(Tenant, Item(onHand: 25m));
        var reserved = await Reserve("order-a", 10m); // 15 available
        var raised = await Harness(Tables).ProcessAsync(AsMessage(reserved.Outcome.Events[1]), new CreatePurchaseOrder(Tables));
        var created = Assert.Single(raised.Outcome.Events).Payload<PurchaseOrderCreated>();
        Assert.Equal(5m, created.Quantity);

        var partial = await Receive(StockReceived(2m, purchaseOrderId: created.PurchaseOrderId, receivedAt: "2024-01-20T08:00:00.000Z"));
        var whileOpen = await Reserve("order-b", 1m); // 16 available, still not armed
        var rest = await Receive(StockReceived(3m, purchaseOrderId: created.PurchaseOrderId, receivedAt: "2024-01-21T08:00:00.000Z"));

        // Receipts are rows of their own; the PurchaseOrders row is never written again.
        Assert.Empty(partial.Rows<PurchaseOrderRow>());
        var partialRow = Assert.Single(partial.Rows<PurchaseOrderReceipt>());
        Assert.Equal((created.PurchaseOrderId, created.PurchaseOrderNumber, 2m, false), (partialRow.PurchaseOrderId, partialRow.PurchaseOrderNumber, partialRow.Quantity, partialRow.CompletesOrder));
        Assert.Equal([EventTypes.Collector.StockReserved], whileOpen.Outcome.Events.Select(e => e.Type));
        var receivedRow = Assert.Single(rest.Rows<PurchaseOrderReceipt>());
        Assert.Equal((3m, true, new DateTimeOffset(2024, 1, 21, 8, 0, 0, TimeSpan.Zero)), (receivedRow.Quantity, receivedRow.CompletesOrder, receivedRow.ReceivedAt));
        Assert.NotEqual(partialRow.ReceiptId, receivedRow.ReceiptId);
        var level = (await new StockLevels(Tables).GetAsync(Tenant, Product, Warehouse))!;
        Assert.Equal((19m, true), (level.Available, level.LowArmed)); // below the level, but the order that answered stock.low is closed

        var fallsAgain = await Reserve("order-c", 1m);
        var reordered = await Harness(Tables).ProcessAsync(AsMessage(fallsAgain.Outcome.Events[1]), new CreatePurchaseOrder(Tables));

        Assert.Equal(18m, fallsAgain.Outcome.Events[1].Payload<StockLow>().CurrentQuantity);
        var second = Assert.Single(reordered.Outcome.Events).Payload<PurchaseOrderCreated>();
        Assert.NotEqual(created.PurchaseOrderId, second.PurchaseOrderId);
        Assert.Equal(2m, second.Quantity);
        Assert.Equal([PurchaseOrderStatus.Received, PurchaseOrderStatus.Open], (await Book())!.Orders.Select(o => o.Status));
        Assert.Equal(("000001", "000002"), (created.PurchaseOrderNumber[^6..], second.PurchaseOrderNumber[^6..])); // the tenant's next number
    }

    [Fact]
    public async Task Every_write_of_a_purchase_order_or_receipt_is_the_same_whenever_it_lands()
    {
        // SQL outputs upsert last-writer-wins: a replayed duplicate or a late re-run must never carry an older state.
        await new StockLevels(Tables).DefineAsync(Tenant, Item(onHand: 25m));
        var reserved = await Reserve("order-a", 10m);
        var stockLow = AsMessage(reserved.Outcome.Events[1]);
        var pipeline = Harness(Tables);
        var raised = await pipeline.ProcessAsync(stockLow, new CreatePurchaseOrder(Tables));
        var created = Assert.Single(raised.Outcome.Events).Payload<PurchaseOrderCreated>();
        var receipt = StockReceived(2m, purchaseOrderId: created.PurchaseOrderId, receivedAt: "2024-01-20T08:00:00.000Z");
        var first = await Receive(receipt);
        await Receive(StockReceived(3m, purchaseOrderId: created.PurchaseOrderId, receivedAt: "2024-01-21T08:00:00.000Z"));

        var replayed = await pipeline.ProcessAsync(stockLow, new CreatePurchaseOrder(Tables)); // duplicate after both receipts
        var rerun = await Harness(Tables).ProcessAsync(stockLow, new CreatePurchaseOrder(Tables)); // a crashed worker's re-run
        var lateReceipt = await Receive(receipt); // the first receipt re-sent after the order closed

        Assert.Equal(ProcessingStatus.Duplicate, replayed.Status);
        Assert.Equal(raised.Snapshot(), replayed.Snapshot());
        Assert.Equal(raised.Snapshot(), rerun.Snapshot());
        Assert.Equal(first.Rows<PurchaseOrderReceipt>(), lateReceipt.Rows<PurchaseOrderReceipt>());
        var order = Assert.Single((await Book())!.Orders);
        Assert.Equal((5m, PurchaseOrderStatus.Received), (order.ReceivedQuantity, order.Status));
    }

    [Fact]
    public async Task Purchase_order_numbers_count_per_tenant_and_year()
    {
        var otherTenant = NewTenant();
        var first = await Raise();
        var nextYear = await Raise(StockLowData(warehouseId: "wh-2"), "2025-01-02T09:00:00.000Z");
        var sameYear = await Raise(StockLowData(warehouseId: "wh-3"), "2024-12-31T09:00:00.000Z");
        var elsewhere = await Pipeline.ProcessAsync(Envelope(EventTypes.Collector.StockLow, otherTenant, StockLowData(), LowAt), new CreatePurchaseOrder(Tables));

        Assert.Equal(["PO-2024-000001", "PO-2025-000001", "PO-2024-000002", "PO-2024-000001"],
            new[] { first, nextYear, sameYear, elsewhere }.Select(r => Assert.Single(r.Outcome.Events).Payload<PurchaseOrderCreated>().PurchaseOrderNumber));
    }

    [Fact]
    public async Task Many_purchase_orders_raised_at_once_never_share_a_number()
    {
        const int orders = 120;
        var results = new ProcessingResult[orders];
        // Twelve workers at a time, all drawing from the tenant's one 2026 sequence.
        await Parallel.ForEachAsync(Enumerable.Range(0, orders), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, _) =>
            results[i] = await RaiseUntilDone(Low(StockLowData(warehouseId: $"wh-{i:D3}"), $"2026-03-01T09:{i / 60:D2}:{i % 60:D2}.000Z")));

        var numbers = results.Select(r => Assert.Single(r.Outcome.Events).Payload<PurchaseOrderCreated>().PurchaseOrderNumber).ToArray();
        Assert.Equal(orders, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.Matches(@"^PO-2026-\d{6}$", n));
        // No order lost a race here, so the sequence has no gaps either.
        Assert.Equal(Enumerable.Range(1, orders).Select(i => $"PO-2026-{i:D6}"), numbers.Order(StringComparer.Ordinal));
    }

    /// <summary>Runs the event as a broker would: again after a retry (a contended number sequence asks for one).</summary>
    private async Task<ProcessingResult> RaiseUntilDone(string message)
    {
        var pipeline = Harness(Tables);
        for (var attempt = 0; ; attempt++)
        {
            var result = await pipeline.ProcessAsync(message, new CreatePurchaseOrder(Tables));
            if (result.Status != ProcessingStatus.Retry || attempt == 20) return result;
        }
    }

    [Fact]
    public async Task A_receipt_against_a_purchase_order_of_another_warehouse_is_dead_lettered()
    {
        await new StockLevels(Tables).DefineAsync(Tenant, Item(onHand: 5m));
        await new StockLevels(Tables).DefineAsync(Tenant, Item(warehouseId: "wh-2", onHand: 5m));
        var id = DerivedIds.Uuid("purchase-order", Tenant, (await Raise()).Event!.Id);

        var result = await Receive(StockReceived(15m, warehouseId: "wh-2", purchaseOrderId: id));

        Assert.Equal(new EventError(EventErrorCode.InvalidValue,
            $"Purchase order '{id}' was not raised for product 'p-4711' in warehouse 'wh-2'.", "$.data.purchaseOrderId"), result.Error);
        Assert.Equal(0m, Assert.Single((await Book())!.Orders).ReceivedQuantity);
    }

    private Task<ProcessingResult> Reserve(string orderId, decimal quantity) =>
        Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith(orderId, Line(quantity))), new ReserveStock(Tables));

    private Task<ProcessingResult> Receive(JsonObject receipt) =>
        Harness(Tables).ProcessAsync(Envelope(EventTypes.Collector.StockReceived, Tenant, receipt, (string)receipt["receivedAt"]!), new ReceiveStock(Tables));
}
