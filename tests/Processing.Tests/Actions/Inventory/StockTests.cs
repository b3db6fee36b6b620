using EventProcessors.Processing.Actions.Inventory.State;

namespace EventProcessors.Processing.Tests.Actions.Inventory;

/// <summary>The stock the inventory action tests set up and read back, on this test's tables and tenant.</summary>
public abstract class StockTests : ActionTests
{
    protected Task Define(StockItem item) => new StockLevels(Tables).DefineAsync(Tenant, item);

    protected async Task<StockLevel> Level(string productId = InventoryEvents.Product, string warehouseId = InventoryEvents.Warehouse) =>
        (await new StockLevels(Tables).GetAsync(Tenant, productId, warehouseId))!;

    /// <summary>What each order holds of the level (its reservation rows).</summary>
    protected Task<IReadOnlyList<StockReservation>> Reservations(string productId = InventoryEvents.Product, string warehouseId = InventoryEvents.Warehouse) =>
        new StockLevels(Tables).ReservationsAsync(Tenant, productId, warehouseId);
}
