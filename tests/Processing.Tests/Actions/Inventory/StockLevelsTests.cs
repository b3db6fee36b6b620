using EventProcessors.Processing.Actions.Inventory;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Inventory;

public sealed class StockLevelsOnAzurite(AzuriteFixture azurite) : StockLevelsTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class StockLevelsInMemory : StockLevelsTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

/// <summary>The set-up API tests and the demo define products, reorder levels and opening stock with.</summary>
public abstract class StockLevelsTests : ActionTests
{
    private StockLevels Store => new(Tables);

    [Fact]
    public async Task Defining_an_item_stocks_the_product_in_the_warehouse_armed_for_stock_low()
    {
        var defined = await Store.DefineAsync(Tenant, Item(onHand: 42m, reorderLevel: 20m, minimumThreshold: 10m, primary: true));

        var read = (await Store.GetAsync(Tenant, Product, Warehouse))!;
        Assert.Equal(
            (Product, "Product p-4711", "SKU-p-4711", Warehouse, WarehouseName, true, 42m, 20m, 10m, true, 42m),
            (read.ProductId, read.ProductName, read.Sku, read.WarehouseId, read.WarehouseName, read.Primary, read.OnHand, read.ReorderLevel,
                read.MinimumThreshold, read.LowArmed, read.Available));
        Assert.Equal(defined.OnHand, read.OnHand);
        Assert.Null(await Store.GetAsync(Tenant, Product, "wh-2"));
        Assert.Null(await Store.GetAsync(NewTenant(), Product, Warehouse));
    }

    [Fact]
    public async Task Defining_it_again_changes_names_and_levels_but_never_quantities()
    {
        await Store.DefineAsync(Tenant, Item(onHand: 30m));
        await Harness(Tables).ProcessAsync(Envelope(Contracts.EventTypes.Collector.OrderCreated, Tenant, OrderCreatedWith(OrderId, Line(5m))), new ReserveStock(Tables));

        await Store.DefineAsync(Tenant, Item(onHand: 999m, reorderLevel: 50m, minimumThreshold: 25m) with { ProductName = "Renamed" });

        var level = (await Store.GetAsync(Tenant, Product, Warehouse))!;
        Assert.Equal((30m, 5m, 50m, 25m, "Renamed"), (level.OnHand, level.Reserved, level.ReorderLevel, level.MinimumThreshold, level.ProductName));
    }

    [Fact]
    public async Task Every_warehouse_of_a_product_is_listed_and_no_other_product()
    {
        await Store.DefineAsync(Tenant, Item("p-1", "wh-b"));
        await Store.DefineAsync(Tenant, Item("p-1", "wh-a"));
        await Store.DefineAsync(Tenant, Item("p-10", "wh-a"));

        var levels = await Store.ListProductAsync(Tenant, "p-1");

        Assert.Equal(["wh-a", "wh-b"], levels.Select(l => l.WarehouseId));
    }

    [Fact]
    public async Task Levels_that_make_no_sense_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.DefineAsync(Tenant, Item(onHand: -1m)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.DefineAsync(Tenant, Item(reorderLevel: 5m, minimumThreshold: 10m)));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DefineAsync(Tenant, Item(productId: " ")));
        Assert.Null(await Store.GetAsync(Tenant, Product, Warehouse));
    }
}
