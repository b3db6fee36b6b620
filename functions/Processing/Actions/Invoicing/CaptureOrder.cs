using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Invoicing.State;
using EventProcessors.Processing.Actions.Orders;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Invoicing;

/// <summary>
/// order.created and order.confirmed -> the order snapshot Invoicing bills from. Either may arrive first;
/// both end in the same snapshot. A copy of an event already captured changes nothing.
/// </summary>
public sealed class CaptureOrder(ITableServiceClient tables) : IConsumerAction
{
    private readonly OrderSnapshots _snapshots = new(tables);

    public ConsumerDefinition Definition => Consumers.CaptureOrder;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken) => context.Payload switch
    {
        OrderCreated created => CaptureCreatedAsync(context, created, cancellationToken),
        OrderConfirmed confirmed => CaptureConfirmedAsync(context, confirmed, cancellationToken),
        _ => throw new InvalidOperationException($"{Definition.Name} does not handle {context.Event.Type}."),
    };

    private Task CaptureCreatedAsync(ActionContext context, OrderCreated order, CancellationToken cancellationToken)
    {
        InputRules.NotBlank(order.OrderId, "$.data.orderId");
        InputRules.NotBlank(order.CustomerId, "$.data.customerId");
        var currency = InputRules.Currency(order.Currency, "$.data.currency");
        var priced = new PricedOrder
        {
            OrderNumber = order.OrderNumber,
            CustomerId = order.CustomerId,
            OfferId = order.OfferId,
            Currency = currency,
            GrandTotal = InputRules.NotNegative(order.GrandTotal, "$.data.grandTotal"),
            OfferGrandTotal = order.OfferGrandTotal is { } offerTotal ? InputRules.NotNegative(offerTotal, "$.data.offerGrandTotal") : null,
            Lines = PricedLines(order.LineItems, currency),
            CreatedAt = context.OccurredAt(),
        };
        return _snapshots.FillAsync(context.Tenant, order.OrderId,
            snapshot => snapshot.Created is null ? snapshot with { Created = priced } : snapshot, cancellationToken);
    }

    private Task CaptureConfirmedAsync(ActionContext context, OrderConfirmed order, CancellationToken cancellationToken)
    {
        InputRules.NotBlank(order.OrderId, "$.data.orderId");
        InputRules.NotBlank(order.CustomerId, "$.data.customerId");
        InputRules.NotEmpty(order.LineItems, "$.data.lineItems");
        var confirmed = new ConfirmedOrder
        {
            OrderNumber = order.OrderNumber,
            CustomerId = order.CustomerId,
            ShippingAddressId = order.ShippingAddressId,
            Lines = order.LineItems.Select((line, i) => new ConfirmedOrderLine
            {
                ProductId = line.ProductId,
                Description = line.Description,
                Quantity = InputRules.Positive(line.Quantity, $"$.data.lineItems[{i}].quantity"),
                Unit = line.Unit,
            }).ToArray(),
            ConfirmedAt = context.OccurredAt(),
        };
        return _snapshots.FillAsync(context.Tenant, order.OrderId,
            snapshot => snapshot.Confirmed is null ? snapshot with { Confirmed = confirmed } : snapshot, cancellationToken);
    }

    private static PricedOrderLine[] PricedLines(IReadOnlyList<OrderLineItem> items, string currency)
    {
        InputRules.NotEmpty(items, "$.data.lineItems");
        return items.Select((line, i) =>
        {
            var path = $"$.data.lineItems[{i}]";
            // Checked now, so an order Invoicing could never bill is dead-lettered here rather than at delivery.
            LinePricing.Price(line.Quantity, line.UnitPrice, line.DiscountPercent, line.TaxPercent, currency, path);
            return new PricedOrderLine
            {
                ProductId = InputRules.NotBlank(line.ProductId, path + ".productId"),
                Sku = line.Sku,
                Description = line.Description,
                Quantity = line.Quantity,
                UnitPrice = line.UnitPrice,
                DiscountPercent = line.DiscountPercent,
                TaxPercent = line.TaxPercent,
            };
        }).ToArray();
    }
}
