using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Material.State;
using EventProcessors.Processing.Actions.WorkOrders;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Material;

/// <summary>
/// work-order.completed -> the good quantity booked into the part's finished-goods stock
/// (material.inventory.adjusted, an InventoryAdjustments row), and the work order closed.
/// </summary>
/// <remarks>
/// <para>Only <c>quantityCompleted</c> is booked: rejected parts are not stock (they go to quality). A completion
/// with nothing good books nothing and announces nothing, but still closes the work order.</para>
/// <para>The part is the completion's <c>partId</c>, or else the work order's as ReserveMaterial stored it. When
/// neither is known yet (work-order.created not processed) that is transient: the retry finds it.</para>
/// <para>Closing the work order stops part updates from changing what it cached (SyncPartReference). A completion
/// processed before the creation stores the work order closed, so the late creation reserves nothing.</para>
/// <para>Each work order is booked once: a second completion event for it changes nothing and announces nothing;
/// the booking keeps the quantity on hand after it, so a re-run announces the same figures.</para>
/// </remarks>
public sealed class UpdateInventory(ITableServiceClient tables) : IConsumerAction
{
    public const string ProductionReason = "PRODUCTION_COMPLETED";

    private readonly WorkOrderDocuments _workOrders = new(tables);
    private readonly MaterialInventory _inventory = new(tables);

    public ConsumerDefinition Definition => Consumers.UpdateInventory;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var completed = context.PayloadAs<WorkOrderCompleted>();
        CompletionRules.Validate(completed);

        var workOrder = await _workOrders.UpdateAsync(context.Tenant, completed.WorkOrderId, current =>
        {
            if (current is null)
            {
                if (completed.PartId is null)
                    throw new TransientProcessingException(
                        $"work-order.completed of {completed.WorkOrderId} names no part, and its work-order.created has not been processed yet.");
                var closed = new WorkOrderDocument
                {
                    WorkOrderId = completed.WorkOrderId,
                    WorkOrderNumber = completed.WorkOrderNumber,
                    PartId = completed.PartId,
                    // Until the late work-order.created fills in the part number, the part id stands for it.
                    Part = new CachedPart { PartNumber = completed.PartNumber ?? completed.PartId },
                    CompletedAt = completed.CompletedAt,
                };
                return (closed, closed);
            }
            if (!current.IsOpen) return (null, current);
            var next = current with { CompletedAt = completed.CompletedAt };
            return (next, next);
        }, cancellationToken).ConfigureAwait(false);

        if (completed.QuantityCompleted == 0) return;
        var partId = completed.PartId ?? workOrder.PartId;
        var partNumber = completed.PartNumber ?? workOrder.Part.PartNumber;
        var booking = await _inventory.BookAsync(context.Tenant, partId, partNumber, new InventoryBooking
        {
            WorkOrderId = completed.WorkOrderId,
            EventId = context.Event.Id,
            Quantity = completed.QuantityCompleted,
            QuantityOnHandAfter = 0m, // set by BookAsync
            LotNumber = completed.ProducedLotNumber,
            BookedAt = completed.CompletedAt,
        }, cancellationToken).ConfigureAwait(false);
        if (booking.EventId != context.Event.Id) return;

        context.Emit(EventTypes.Mes.MaterialInventoryAdjusted, new MaterialInventoryAdjusted
        {
            PartId = partId,
            PartNumber = partNumber,
            QuantityChange = booking.Quantity,
            QuantityOnHand = booking.QuantityOnHandAfter,
            Reason = ProductionReason,
            WorkOrderId = booking.WorkOrderId,
            LotNumber = booking.LotNumber,
            AdjustedAt = booking.BookedAt,
        }, partitionKey: partId);
        context.Write(new InventoryAdjustment
        {
            AdjustmentId = DerivedIds.Uuid("inventory-adjustment", context.Tenant, ProductionReason, booking.WorkOrderId),
            TenantId = context.Tenant,
            PartId = partId,
            PartNumber = partNumber,
            Reason = ProductionReason,
            WorkOrderId = booking.WorkOrderId,
            LotNumber = booking.LotNumber,
            QuantityChange = booking.Quantity,
            QuantityOnHand = booking.QuantityOnHandAfter,
            AdjustedAt = booking.BookedAt,
        });
    }
}
