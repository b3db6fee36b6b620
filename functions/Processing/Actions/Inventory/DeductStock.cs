using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Inventory;

/// <summary>
/// delivery.dispatched -> the dispatched quantity leaves on-hand stock and the order's reservation is released by as
/// much (dispatching reserved goods leaves available stock unchanged). Goods dispatched beyond the reservation come out
/// of available stock and can cross below the reorder level (stock.low). Dispatching more than is on hand is invalid
/// input: stock never goes negative. Applied once per delivery note and stock.
/// </summary>
public sealed class DeductStock(ITableServiceClient tables) : IConsumerAction
{
    private readonly StockLevels _stock = new(tables);

    public ConsumerDefinition Definition => Consumers.DeductStock;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var dispatch = context.PayloadAs<DeliveryDispatched>();
        InputRules.NotBlank(dispatch.DeliveryNoteId, "$.data.deliveryNoteId");
        InputRules.NotBlank(dispatch.OrderId, "$.data.orderId");
        InputRules.NotEmpty(dispatch.Items, "$.data.items");
        var items = new List<(string WarehouseId, string ProductId, decimal Quantity, string Path)>();
        for (var i = 0; i < dispatch.Items.Count; i++)
        {
            var path = $"$.data.items[{i}]";
            var item = dispatch.Items[i];
            items.Add((InputRules.NotBlank(item.WarehouseId, path + ".warehouseId"), InputRules.NotBlank(item.ProductId, path + ".productId"),
                InputRules.Positive(item.Quantity, path + ".quantity"), path));
        }
        var lines = items.GroupBy(i => (i.WarehouseId, i.ProductId))
            .Select(g => (g.Key.WarehouseId, g.Key.ProductId, Quantity: g.Sum(i => i.Quantity), g.First().Path)).ToArray();
        var key = "dispatch:" + dispatch.DeliveryNoteId;

        // Checked before any stock changes, so an invalid dispatch changes nothing.
        foreach (var line in lines)
        {
            var level = await _stock.GetAsync(context.Tenant, line.WarehouseId, line.ProductId, cancellationToken).ConfigureAwait(false)
                ?? throw StockLevels.Unknown(line.WarehouseId, line.ProductId, line.Path);
            if (!level.Applied.Contains(key) && level.OnHand < line.Quantity) throw Exceeds(line.Quantity, level.OnHand, line.Path);
        }

        foreach (var line in lines)
        {
            var level = await _stock.ChangeAsync(context.Tenant, line.WarehouseId, line.ProductId, line.Path, current =>
            {
                if (current.Applied.Contains(key)) return current;
                if (current.OnHand < line.Quantity) throw Exceeds(line.Quantity, current.OnHand, line.Path);
                var reservations = new Dictionary<string, decimal>(current.Reservations);
                if (reservations.TryGetValue(dispatch.OrderId, out var reserved))
                {
                    if (reserved > line.Quantity) reservations[dispatch.OrderId] = reserved - line.Quantity;
                    else reservations.Remove(dispatch.OrderId);
                }
                return (current with { OnHand = current.OnHand - line.Quantity, Reservations = reservations }).WithApplied(key).Settle(key);
            }, cancellationToken).ConfigureAwait(false);
            if (level.LowSignalledBy(key) is { } low) context.Emit(EventTypes.Collector.StockLow, low, partitionKey: line.ProductId);
        }
    }

    private static EventValidationException Exceeds(decimal quantity, decimal onHand, string path) =>
        EventValidationException.Invalid($"quantity {quantity} exceeds the {onHand} on hand.", path + ".quantity");
}
