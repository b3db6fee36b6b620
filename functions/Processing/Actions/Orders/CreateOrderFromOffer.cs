using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Orders;

/// <summary>
/// offer.approved -> order.created: the order of an approved offer, its lines priced with their discount and tax.
/// The order id is derived from the offer id and one offer makes one order, so a re-sent approval creates nothing new.
/// </summary>
/// <remarks>
/// Totals come from the lines, not from the offer's grandTotal: Collector's own example states 1500.00 for
/// 5 x 300.00 with 10% discount and 20% tax (1620.00), so the offer's figure is not a reliable check. The offer's figure
/// travels on order.created (offerGrandTotal), and the invoice shows any difference from it.
/// Every order line must name a product (order.created requires one, Inventory reserves by it); an offer with a
/// free-text line cannot become an order and is dead-lettered for someone to fix the offer.
/// validUntil is not checked: the approval is the Offers service's decision, made when it accepted it.
/// </remarks>
public sealed class CreateOrderFromOffer(ITableServiceClient tables) : IConsumerAction
{
    public const string PendingStatus = "PENDING";

    private readonly DocumentOrigins _origins = new(tables);

    public ConsumerDefinition Definition => Consumers.CreateOrderFromOffer;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var offer = context.PayloadAs<OfferApproved>();
        InputRules.NotBlank(offer.OfferId, "$.data.offerId");
        InputRules.NotBlank(offer.CustomerId, "$.data.customerId");
        var currency = InputRules.Currency(offer.Currency, "$.data.currency");
        InputRules.NotEmpty(offer.LineItems, "$.data.lineItems");
        var lines = offer.LineItems.Select((line, i) =>
        {
            var path = $"$.data.lineItems[{i}]";
            if (string.IsNullOrWhiteSpace(line.ProductId))
                throw EventValidationException.Invalid($"Offer line {i + 1} ('{line.Description}') names no product; an order line must.", path + ".productId");
            return (Item: line, Price: LinePricing.Price(line.Quantity, line.UnitPrice, line.DiscountPercent, line.TaxPercent, currency, path));
        }).ToArray();
        var totals = LinePricing.Totals(lines.Select(l => l.Price));

        var orderId = DerivedIds.Uuid("order", context.Tenant, offer.OfferId);
        var (claim, _) = await _origins.ClaimAsync(context.Tenant, "order", offer.OfferId,
            new DocumentOrigin(orderId, context.Event.Id), cancellationToken).ConfigureAwait(false);
        if (claim != OriginClaim.Owner) return;

        var orderNumber = DocumentNumbers.Renumber(offer.OfferNumber, "OFF-", "ORD-");
        context.Emit(EventTypes.Collector.OrderCreated, new OrderCreated
        {
            OrderId = orderId,
            OrderNumber = orderNumber,
            CustomerId = offer.CustomerId,
            OfferId = offer.OfferId,
            Currency = currency,
            GrandTotal = totals.GrandTotal,
            OfferGrandTotal = offer.GrandTotal,
            LineItems = lines.Select(l => new OrderLineItem
            {
                ProductId = l.Item.ProductId!,
                Description = l.Item.Description,
                Quantity = l.Item.Quantity,
                UnitPrice = l.Item.UnitPrice,
                DiscountPercent = l.Item.DiscountPercent,
                TaxPercent = l.Item.TaxPercent,
            }).ToArray(),
        }, partitionKey: orderId);

        context.Write(new Order
        {
            OrderId = orderId,
            TenantId = context.Tenant,
            OrderNumber = orderNumber,
            OfferId = offer.OfferId,
            OfferNumber = offer.OfferNumber,
            CustomerId = offer.CustomerId,
            Currency = currency,
            Status = PendingStatus,
            Subtotal = totals.Subtotal,
            TaxTotal = totals.TaxTotal,
            GrandTotal = totals.GrandTotal,
            CreatedAt = context.OccurredAt(),
        });
        for (var i = 0; i < lines.Length; i++)
        {
            var (item, price) = lines[i];
            context.Write(new OrderLine
            {
                OrderId = orderId,
                LineNumber = i + 1,
                TenantId = context.Tenant,
                ProductId = item.ProductId!,
                Description = item.Description,
                Quantity = price.Quantity,
                UnitPrice = price.UnitPrice,
                DiscountPercent = price.DiscountPercent,
                DiscountAmount = price.DiscountAmount,
                NetAmount = price.NetAmount,
                TaxPercent = price.TaxPercent,
                TaxAmount = price.TaxAmount,
                LineTotal = price.LineTotal,
            });
        }
    }
}
