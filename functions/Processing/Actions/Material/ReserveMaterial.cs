using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Material;

/// <summary>
/// work-order.created -> material.reserved, and the work-order document with the part number and name cached on
/// it (SyncPartReference keeps them fresh while the work order is open). The MES's work order carries no bill of
/// materials, so the reservation is one line: the work order's part and quantity. One reservation per work order:
/// a re-sent creation reserves nothing new.
/// </summary>
public sealed class ReserveMaterial(ITableServiceClient tables) : IConsumerAction
{
    private readonly WorkOrderStore _workOrders = new(tables);

    public ConsumerDefinition Definition => Consumers.ReserveMaterial;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var created = context.PayloadAs<WorkOrderCreated>();
        InputRules.NotBlank(created.WorkOrderId, "$.data.workOrderId");
        InputRules.NotBlank(created.PartId, "$.data.partId");
        InputRules.NotBlank(created.PartNumber, "$.data.partNumber");
        InputRules.Positive(created.Quantity, "$.data.quantity");

        // A part update already applied and newer than this event wins over the part fields the event carries.
        var occurredAt = context.OccurredAt();
        var part = await _workOrders.GetPartAsync(context.Tenant, created.PartId, cancellationToken).ConfigureAwait(false);
        var partIsNewer = part is not null && part.IsAtLeast(occurredAt, context.Event.Id);
        var workOrder = await _workOrders.CreateAsync(context.Tenant, new WorkOrderDocument
        {
            WorkOrderId = created.WorkOrderId,
            WorkOrderNumber = created.WorkOrderNumber,
            PartId = created.PartId,
            PartNumber = partIsNewer ? part!.PartNumber : created.PartNumber,
            PartName = partIsNewer ? part!.PartName : created.PartName ?? part?.PartName,
            Quantity = created.Quantity,
            Status = WorkOrderStatus.Open,
            CreatedByEventId = context.Event.Id,
        }, cancellationToken).ConfigureAwait(false);
        if (workOrder.CreatedByEventId != context.Event.Id) return;

        // A part update that ran between reading the reference and creating the document missed this work order.
        var latest = await _workOrders.GetPartAsync(context.Tenant, created.PartId, cancellationToken).ConfigureAwait(false);
        if (latest is not null && latest != part && latest.IsAtLeast(occurredAt, context.Event.Id))
            await _workOrders.RefreshAsync(context.Tenant, created.WorkOrderId, latest, cancellationToken).ConfigureAwait(false);

        context.Emit(EventTypes.Mes.MaterialReserved, new MaterialReserved
        {
            WorkOrderId = created.WorkOrderId,
            WorkOrderNumber = created.WorkOrderNumber,
            Lines = [new MaterialReservationLine { PartId = created.PartId, PartNumber = workOrder.PartNumber, Quantity = created.Quantity }],
        }, partitionKey: created.WorkOrderId);
    }
}
