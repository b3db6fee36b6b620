using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Material.State;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Material;

/// <summary>
/// work-order.completed -> books the completed quantity of finished goods into material inventory
/// (material.inventory.adjusted). The MES counts completed and rejected pieces separately (seed 000), so the
/// rejected ones are not booked. Marks the work order completed, which freezes its cached part fields.
/// One booking per work order: a re-sent completion books nothing more.
/// </summary>
public sealed class UpdateInventory(ITableServiceClient tables) : IConsumerAction
{
    public const string ProductionCompleted = "PRODUCTION_COMPLETED";

    private readonly WorkOrderStore _workOrders = new(tables);
    private readonly MaterialInventoryStore _inventory = new(tables);

    public ConsumerDefinition Definition => Consumers.UpdateInventory;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var completed = context.PayloadAs<WorkOrderCompleted>();
        InputRules.NotBlank(completed.WorkOrderId, "$.data.workOrderId");
        InputRules.NotNegative(completed.QuantityCompleted, "$.data.quantityCompleted");
        InputRules.NotNegative(completed.QuantityRejected, "$.data.quantityRejected");

        var workOrder = await _workOrders.CompleteAsync(context.Tenant, completed.WorkOrderId, cancellationToken).ConfigureAwait(false);
        var partId = completed.PartId ?? workOrder?.PartId
            ?? throw new TransientProcessingException($"Work order {completed.WorkOrderId} names no part and its work-order.created has not been processed yet.");
        if (completed.QuantityCompleted == 0m) return;

        var booking = await _inventory.BookAsync(context.Tenant, partId, completed.WorkOrderId, context.Event.Id,
            completed.QuantityCompleted, completed.ProducedLotNumber, cancellationToken).ConfigureAwait(false);
        if (booking.EventId != context.Event.Id) return;

        context.Emit(EventTypes.Mes.MaterialInventoryAdjusted, new MaterialInventoryAdjusted
        {
            PartId = partId,
            PartNumber = completed.PartNumber ?? workOrder?.PartNumber,
            QuantityChange = booking.QuantityChange,
            QuantityOnHand = booking.QuantityOnHandAfter,
            Reason = ProductionCompleted,
            WorkOrderId = completed.WorkOrderId,
            LotNumber = booking.LotNumber,
            AdjustedAt = completed.CompletedAt,
        }, partitionKey: partId);
    }
}
