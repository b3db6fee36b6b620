using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Delivery;

/// <summary>
/// order.confirmed -> delivery.note.created and the DeliveryNote record, with every confirmed line to deliver.
/// One note per order: its id derives from the order id, and a re-sent confirmation creates nothing new.
/// </summary>
public sealed class CreateDeliveryNote(ITableServiceClient tables) : IConsumerAction
{
    /// <summary>A new note, not yet dispatched (Collector's delivery service moves it on).</summary>
    public const string CreatedStatus = "CREATED";

    private readonly DocumentOrigins _origins = new(tables);

    public ConsumerDefinition Definition => Consumers.CreateDeliveryNote;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var order = context.PayloadAs<OrderConfirmed>();
        InputRules.NotBlank(order.OrderId, "$.data.orderId");
        InputRules.NotBlank(order.CustomerId, "$.data.customerId");
        InputRules.NotBlank(order.ShippingAddressId, "$.data.shippingAddressId");
        InputRules.NotEmpty(order.LineItems, "$.data.lineItems");
        for (var i = 0; i < order.LineItems.Count; i++)
        {
            InputRules.NotBlank(order.LineItems[i].ProductId, $"$.data.lineItems[{i}].productId");
            InputRules.Positive(order.LineItems[i].Quantity, $"$.data.lineItems[{i}].quantity");
        }

        var noteId = DerivedIds.Uuid("delivery-note", context.Tenant, order.OrderId);
        var (claim, _) = await _origins.ClaimAsync(context.Tenant, "delivery-note", order.OrderId,
            new DocumentOrigin(noteId, context.Event.Id), cancellationToken).ConfigureAwait(false);
        if (claim != OriginClaim.Owner) return;

        var deliveryNumber = DocumentNumbers.Renumber(order.OrderNumber, "ORD-", "DN-");
        context.Emit(EventTypes.Collector.DeliveryNoteCreated, new DeliveryNoteCreated
        {
            DeliveryNoteId = noteId,
            DeliveryNumber = deliveryNumber,
            OrderId = order.OrderId,
            OrderNumber = order.OrderNumber,
            CustomerId = order.CustomerId,
            ShippingAddressId = order.ShippingAddressId,
            LineItems = order.LineItems,
        }, partitionKey: noteId);

        context.Write(new DeliveryNote
        {
            DeliveryNoteId = noteId,
            TenantId = context.Tenant,
            DeliveryNumber = deliveryNumber,
            OrderId = order.OrderId,
            OrderNumber = order.OrderNumber,
            CustomerId = order.CustomerId,
            ShippingAddressId = order.ShippingAddressId,
            Status = CreatedStatus,
            CreatedAt = context.OccurredAt(),
        });
        for (var i = 0; i < order.LineItems.Count; i++)
        {
            var line = order.LineItems[i];
            context.Write(new DeliveryNoteLine
            {
                DeliveryNoteId = noteId,
                LineNumber = i + 1,
                TenantId = context.Tenant,
                ProductId = line.ProductId,
                Description = line.Description,
                Quantity = line.Quantity,
                Unit = line.Unit,
            });
        }
    }
}
