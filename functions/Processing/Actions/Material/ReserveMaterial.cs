using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Material;

/// <summary>
/// work-order.created -> the work order's material reserved for it (material.reserved, one MaterialReservations
/// row per line), kept on the work-order document together with the part fields cached for display.
/// </summary>
/// <remarks>
/// <para>What is reserved: the work order's bill of materials when the event carries one (<c>materials</c>);
/// the documented payload carries only the part and quantity, and then that part, for that quantity, is the
/// material the order is kitted with.</para>
/// <para>Availability: the MES material service owns lot stock and issues material against lots; no consumer
/// here sees receipts booked, so a reservation allocates the work order's demand and does not check or change
/// quantity on hand. It therefore never drives stock below zero, and a shortage shows when material is issued.</para>
/// <para>One reservation per work order: a second work-order.created for the same work order (a re-sent copy
/// with a new id) changes nothing and announces nothing; only the event that reserved may announce it again
/// (a re-run after a crash). A work order whose completion was processed first is stored closed and reserves
/// nothing: its material is already consumed.</para>
/// </remarks>
public sealed class ReserveMaterial(ITableServiceClient tables) : IConsumerAction
{
    private readonly WorkOrderDocuments _workOrders = new(tables);
    private readonly PartReferences _parts = new(tables);

    public ConsumerDefinition Definition => Consumers.ReserveMaterial;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var created = context.PayloadAs<WorkOrderCreated>();
        var lines = Validate(created);
        var createdAt = context.OccurredAt();

        // Indexed first, refreshed from the reference last: see SyncPartReference for why this order misses no part update.
        await _workOrders.IndexByPartAsync(context.Tenant, created.PartId, created.WorkOrderId, cancellationToken).ConfigureAwait(false);
        var workOrder = await _workOrders.UpdateAsync(context.Tenant, created.WorkOrderId, current =>
        {
            if (current?.CreatedAt is not null) return (null, current);
            var reservation = current is null
                ? new WorkOrderReservation { EventId = context.Event.Id, ReservedAt = createdAt, Lines = lines }
                : null;
            // A work order stored closed by its completion knew at most its part id; the creation names the part.
            var part = current?.Part.Stamp is null ? new CachedPart { PartNumber = created.PartNumber } : current.Part;
            var next = (current ?? new WorkOrderDocument
            {
                WorkOrderId = created.WorkOrderId,
                WorkOrderNumber = created.WorkOrderNumber,
                PartId = created.PartId,
                Part = part,
            }) with
            {
                Part = part,
                Quantity = created.Quantity,
                DueDate = created.DueDate,
                Priority = created.Priority,
                CreatedAt = createdAt,
                Reservation = reservation,
            };
            return (next, next);
        }, cancellationToken).ConfigureAwait(false);
        if (await _parts.GetAsync(context.Tenant, created.PartId, cancellationToken).ConfigureAwait(false) is { } reference)
            await _workOrders.RefreshPartAsync(context.Tenant, created.WorkOrderId, reference, cancellationToken).ConfigureAwait(false);

        if (workOrder.Reservation is not { } reserved || reserved.EventId != context.Event.Id) return;
        // Announced from the stored reservation, so a re-run announces exactly what was stored.
        context.Emit(EventTypes.Mes.MaterialReserved, new MaterialReserved
        {
            WorkOrderId = workOrder.WorkOrderId,
            WorkOrderNumber = workOrder.WorkOrderNumber,
            Lines = [.. reserved.Lines.Select(l => new MaterialReservationLine { PartId = l.PartId, PartNumber = l.PartNumber, Quantity = l.Quantity, LotNumber = l.LotNumber })],
        }, partitionKey: workOrder.WorkOrderId);
        var reservationId = DerivedIds.Uuid("material-reservation", context.Tenant, workOrder.WorkOrderId);
        foreach (var line in reserved.Lines)
            context.Write(new ReservationLine
            {
                ReservationId = reservationId,
                LineNumber = line.LineNumber,
                TenantId = context.Tenant,
                WorkOrderId = workOrder.WorkOrderId,
                WorkOrderNumber = workOrder.WorkOrderNumber,
                PartId = line.PartId,
                PartNumber = line.PartNumber,
                Quantity = line.Quantity,
                LotNumber = line.LotNumber,
                ReservedAt = reserved.ReservedAt,
            });
    }

    private static IReadOnlyList<WorkOrderReservationLine> Validate(WorkOrderCreated created)
    {
        InputRules.NotBlank(created.WorkOrderId, "$.data.workOrderId");
        InputRules.NotBlank(created.WorkOrderNumber, "$.data.workOrderNumber");
        InputRules.NotBlank(created.PartId, "$.data.partId");
        InputRules.NotBlank(created.PartNumber, "$.data.partNumber");
        InputRules.Positive(created.Quantity, "$.data.quantity");
        if (created.Materials is not { } materials)
            return [new WorkOrderReservationLine { LineNumber = 1, PartId = created.PartId, PartNumber = created.PartNumber, Quantity = created.Quantity }];

        InputRules.NotEmpty(materials, "$.data.materials");
        return [.. materials.Select((m, i) =>
        {
            var path = $"$.data.materials[{i}]";
            return new WorkOrderReservationLine
            {
                LineNumber = i + 1,
                PartId = InputRules.NotBlank(m.PartId, path + ".partId"),
                PartNumber = InputRules.NotBlank(m.PartNumber, path + ".partNumber"),
                Quantity = InputRules.Positive(m.Quantity, path + ".quantity"),
                LotNumber = m.LotNumber is null ? null : InputRules.NotBlank(m.LotNumber, path + ".lotNumber"),
            };
        })];
    }
}
