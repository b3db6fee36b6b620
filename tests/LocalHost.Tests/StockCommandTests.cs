using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

/// <summary><c>stock define</c> and <c>stock show</c> against Azurite: the master data ReserveStock needs, set from the command line.</summary>
public sealed class StockCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly string _tenant = "t-" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"stock-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public async Task Define_stocks_every_item_of_the_file_and_show_lists_the_product_in_each_warehouse()
    {
        await File.WriteAllTextAsync(_file, """
            [
              // opening stock of the servo drive in two warehouses
              { "productId": "p-4711", "productName": "Servo drive", "sku": "SD-200", "warehouseId": "wh-1", "warehouseName": "Main",
                "onHand": 120, "reorderLevel": 20, "minimumThreshold": 10, "primary": true },
              { "productId": "p-4711", "productName": "Servo drive", "sku": "SD-200", "warehouseId": "wh-2", "warehouseName": "North",
                "onHand": 15.5, "reorderLevel": 5 },
            ]
            """);

        var (defined, defineText, _) = await CliRun.RunAsync("stock", "define", "--tenant", _tenant, "--file", _file, "--storage", azurite.ConnectionString);
        var (shown, showText, _) = await CliRun.RunAsync("stock", "show", "--tenant", _tenant, "--product", "p-4711", "--storage", azurite.ConnectionString);

        Assert.True(defined == 0, defineText);
        Assert.Contains($"defined 2 stock item(s) for tenant {_tenant}", defineText);
        Assert.True(shown == 0, showText);
        Assert.Contains("p-4711 (Servo drive, SD-200) in wh-1 (Main): on hand 120, reserved 0, available 120, reorder level 20, minimum 10, primary", showText);
        Assert.Contains("p-4711 (Servo drive, SD-200) in wh-2 (North): on hand 15.5, reserved 0, available 15.5, reorder level 5, minimum 0", showText);
    }

    [Fact]
    public async Task A_file_with_one_bad_item_writes_nothing_and_says_which_field()
    {
        await File.WriteAllTextAsync(_file, """
            [
              { "productId": "p-1", "productName": "A", "sku": "A", "warehouseId": "wh-1", "warehouseName": "Main", "onHand": 5, "reorderLevel": 2 },
              { "productId": "p-2", "productName": "B", "sku": "B", "warehouseId": "wh-1", "warehouseName": "Main", "onHand": -1, "reorderLevel": 2 }
            ]
            """);

        var (exit, text, _) = await CliRun.RunAsync("stock", "define", "--tenant", _tenant, "--file", _file, "--storage", azurite.ConnectionString);
        var (shown, _, _) = await CliRun.RunAsync("stock", "show", "--tenant", _tenant, "--product", "p-1", "--storage", azurite.ConnectionString);

        Assert.Equal(1, exit);
        Assert.Contains("onHand", text);
        Assert.Contains("Nothing was written.", text);
        Assert.Equal(1, shown);
    }

    [Fact]
    public async Task Stock_cannot_be_set_for_in_memory_tables_of_another_process()
    {
        await File.WriteAllTextAsync(_file, "[]");

        var (exit, text, _) = await CliRun.RunAsync("stock", "define", "--tenant", _tenant, "--file", _file, "--storage", "inmemory");

        Assert.Equal(2, exit);
        Assert.Contains("--storage UseDevelopmentStorage=true", text);
    }
}
