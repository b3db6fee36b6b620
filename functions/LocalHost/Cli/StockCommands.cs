using System.CommandLine;
using System.Text.Json;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace EventProcessors.LocalHost.Cli;

/// <summary>
/// <c>stock define</c> and <c>stock show</c>: the stock master data no event carries (which products a warehouse stocks,
/// opening stock, reorder levels), written to the Table Storage both hosts read. Without it ReserveStock, DeductStock and
/// ReceiveStock dead-letter every product as unknown.
/// </summary>
internal static class StockCommands
{
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip };

    public static Command Build(Func<ParseResult, IConfigurationRoot> configuration, IAnsiConsole console)
    {
        var tenant = new Option<string>("--tenant") { Description = "the tenant whose stock this is (Collector's tenantId)", Required = true };

        var file = new Option<FileInfo>("--file", "-f")
        {
            Description = "JSON array of items: productId, productName, sku, warehouseId, warehouseName, onHand (opening stock), reorderLevel, " +
                "minimumThreshold (default 0), primary (default false: order lines naming no warehouse reserve there)",
            Required = true,
        };
        var define = new Command("define", "Stock products in warehouses, or update their names and levels (on-hand changes only through events).") { tenant, file };
        define.SetAction(async (parse, ct) =>
        {
            if (Tables(configuration(parse), console) is not { } tables) return 2;
            StockItem[] items;
            try
            {
                items = JsonSerializer.Deserialize<StockItem[]>(File.ReadAllText(parse.GetValue(file)!.FullName), FileJson)
                    ?? throw new JsonException("The file holds null, not an array of stock items.");
                foreach (var item in items) item.Validate();
            }
            catch (Exception ex) when (ex is JsonException or IOException or ArgumentException)
            {
                console.MarkupLine($"[red]{Markup.Escape(parse.GetValue(file)!.Name)}: {Markup.Escape(ex.Message)}[/] Nothing was written.");
                return 1;
            }
            var stock = new StockLevels(tables);
            foreach (var item in items)
                Show(console, await stock.DefineAsync(parse.GetValue(tenant)!, item, ct));
            console.MarkupLine($"defined [bold]{items.Length}[/] stock item(s) for tenant {Markup.Escape(parse.GetValue(tenant)!)}");
            return 0;
        });

        var product = new Option<string>("--product") { Description = "product id", Required = true };
        var show = new Command("show", "Show a product's stock level in every warehouse that stocks it.") { tenant, product };
        show.SetAction(async (parse, ct) =>
        {
            if (Tables(configuration(parse), console) is not { } tables) return 2;
            var levels = await new StockLevels(tables).ListProductAsync(parse.GetValue(tenant)!, parse.GetValue(product)!, ct);
            if (levels.Count == 0)
            {
                console.MarkupLine($"{Markup.Escape(parse.GetValue(product)!)} is not stocked in any warehouse of tenant {Markup.Escape(parse.GetValue(tenant)!)}");
                return 1;
            }
            foreach (var level in levels) Show(console, level);
            return 0;
        });

        return new Command("stock", "Stock master data: products, warehouses, opening stock and reorder levels.") { define, show };
    }

    private static ITableServiceClient? Tables(IConfiguration configuration, IAnsiConsole console)
    {
        if (configuration[SettingNames.TableStorage] is not { Length: > 0 } connection
            || string.Equals(connection.Trim(), TableServiceClientFactory.InMemoryConnectionString, StringComparison.OrdinalIgnoreCase))
        {
            console.MarkupLine("[yellow]In-memory tables live inside a running worker; stock for it cannot be set from another process.[/] " +
                "Use [bold]--storage UseDevelopmentStorage=true[/] (or a Table Storage connection string in the TableStorage setting).");
            return null;
        }
        return new ServiceCollection().AddEventProcessing(configuration).BuildServiceProvider().GetRequiredService<ITableServiceClient>();
    }

    private static void Show(IAnsiConsole console, StockLevel level) => console.MarkupLine(Markup.Escape(FormattableString.Invariant(
        $"{level.ProductId} ({level.ProductName}, {level.Sku}) in {level.WarehouseId} ({level.WarehouseName}): on hand {level.OnHand}, reserved {level.Reserved}, available {level.Available}, reorder level {level.ReorderLevel}, minimum {level.MinimumThreshold}{(level.Primary ? ", primary" : "")}")));
}
