using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Traceability.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Traceability;

/// <summary>
/// material.received, material.issued, work-order.completed, quality.inspection.completed -> traceability.event.created
/// and the TraceabilityEvents record for every event, the genealogy links (lot or serial -> work order on issue and
/// consumption, work order -> produced lot and serials on completion) and traceability.lot.genealogy.updated whenever
/// a produced lot gains parent lots. Links are keyed by their two ends, so repeats add nothing; issue and completion
/// may arrive in either order.
/// </summary>
public sealed class RecordGenealogy(ITableServiceClient tables) : IConsumerAction
{
    private readonly GenealogyStore _genealogy = new(tables);

    public ConsumerDefinition Definition => Consumers.RecordGenealogy;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken) => context.Payload switch
    {
        MaterialReceived received => ReceivedAsync(context, received),
        MaterialIssued issued => IssuedAsync(context, issued, cancellationToken),
        WorkOrderCompleted completed => CompletedAsync(context, completed, cancellationToken),
        QualityInspectionCompleted inspected => InspectedAsync(context, inspected),
        _ => throw new InvalidOperationException($"{Definition.Name} does not handle {context.Event.Type}."),
    };

    private static Task ReceivedAsync(ActionContext context, MaterialReceived received)
    {
        InputRules.NotBlank(received.LotNumber, "$.data.lotNumber");
        InputRules.Positive(received.Quantity, "$.data.quantity");
        Record(context, TraceabilityActivity.Received, received.PartId, received.LotNumber, null, null, received.Quantity, received.ReceivedAt);
        return Task.CompletedTask;
    }

    private async Task IssuedAsync(ActionContext context, MaterialIssued issued, CancellationToken cancellationToken)
    {
        InputRules.NotBlank(issued.WorkOrderId, "$.data.workOrderId");
        InputRules.NotBlank(issued.LotNumber, "$.data.lotNumber");
        InputRules.Positive(issued.Quantity, "$.data.quantity");

        var workOrder = GenealogyNode.WorkOrder(issued.WorkOrderId);
        await _genealogy.LinkAsync(context.Tenant, Link(GenealogyNode.Lot(issued.LotNumber), workOrder, issued.Quantity, context), cancellationToken).ConfigureAwait(false);
        foreach (var serial in issued.SerialNumbers ?? [])
            await _genealogy.LinkAsync(context.Tenant, Link(GenealogyNode.Serial(serial), workOrder, null, context), cancellationToken).ConfigureAwait(false);
        Record(context, TraceabilityActivity.Issued, issued.PartId, issued.LotNumber, issued.SerialNumbers, issued.WorkOrderId, issued.Quantity, issued.IssuedAt);

        // Material issued after the completion: the lots the work order already produced gain this parent.
        var parent = new ConsumedLot { LotNumber = issued.LotNumber, PartId = issued.PartId, PartNumber = issued.PartNumber, Quantity = issued.Quantity };
        foreach (var produced in await _genealogy.ChildrenAsync(context.Tenant, workOrder, cancellationToken).ConfigureAwait(false))
            if (produced.Child.StartsWith(GenealogyNode.LotPrefix, StringComparison.Ordinal))
                LotGenealogyUpdated(context, produced.Child[GenealogyNode.LotPrefix.Length..], null, issued.WorkOrderId, [parent]);
    }

    private async Task CompletedAsync(ActionContext context, WorkOrderCompleted completed, CancellationToken cancellationToken)
    {
        InputRules.NotBlank(completed.WorkOrderId, "$.data.workOrderId");
        InputRules.NotNegative(completed.QuantityCompleted, "$.data.quantityCompleted");
        var consumed = completed.ConsumedLots ?? [];
        for (var i = 0; i < consumed.Count; i++)
        {
            InputRules.NotBlank(consumed[i].LotNumber, $"$.data.consumedLots[{i}].lotNumber");
            InputRules.Positive(consumed[i].Quantity, $"$.data.consumedLots[{i}].quantity");
        }

        var workOrder = GenealogyNode.WorkOrder(completed.WorkOrderId);
        foreach (var lot in consumed)
            await _genealogy.LinkAsync(context.Tenant, Link(GenealogyNode.Lot(lot.LotNumber), workOrder, lot.Quantity, context), cancellationToken).ConfigureAwait(false);
        if (completed.ProducedLotNumber is { Length: > 0 } producedLot)
            await _genealogy.LinkAsync(context.Tenant, Link(workOrder, GenealogyNode.Lot(producedLot), completed.QuantityCompleted, context), cancellationToken).ConfigureAwait(false);
        foreach (var serial in completed.ProducedSerialNumbers ?? [])
            await _genealogy.LinkAsync(context.Tenant, Link(workOrder, GenealogyNode.Serial(serial), null, context), cancellationToken).ConfigureAwait(false);
        Record(context, TraceabilityActivity.Produced, completed.PartId, completed.ProducedLotNumber, completed.ProducedSerialNumbers, completed.WorkOrderId,
            completed.QuantityCompleted, completed.CompletedAt);

        if (completed.ProducedLotNumber is not { Length: > 0 } lotNumber) return;
        // Parents: the lots the completion names, then lots issued to the work order that it does not name.
        var named = consumed.Select(l => l.LotNumber).ToHashSet(StringComparer.Ordinal);
        var issued = (await _genealogy.ParentsAsync(context.Tenant, workOrder, cancellationToken).ConfigureAwait(false))
            .Where(l => l.Parent.StartsWith(GenealogyNode.LotPrefix, StringComparison.Ordinal))
            .Select(l => new ConsumedLot { LotNumber = l.Parent[GenealogyNode.LotPrefix.Length..], Quantity = l.Quantity ?? 0m })
            .Where(l => !named.Contains(l.LotNumber))
            .OrderBy(l => l.LotNumber, StringComparer.Ordinal);
        var parents = consumed.Concat(issued).ToArray();
        if (parents.Length > 0) LotGenealogyUpdated(context, lotNumber, completed.PartId, completed.WorkOrderId, parents);
    }

    private static Task InspectedAsync(ActionContext context, QualityInspectionCompleted inspected)
    {
        InputRules.NotBlank(inspected.InspectionId, "$.data.inspectionId");
        Record(context, TraceabilityActivity.Inspected, inspected.PartId, inspected.LotNumber, inspected.SerialNumbers, inspected.WorkOrderId,
            inspected.QuantityInspected, inspected.InspectionDate);
        return Task.CompletedTask;
    }

    private static void Record(ActionContext context, TraceabilityActivity activity, string? partId, string? lotNumber, IReadOnlyList<string>? serials,
        string? workOrderId, decimal? quantity, DateTimeOffset occurredAt)
    {
        var id = DerivedIds.Uuid("traceability-event", context.Tenant, context.Event.Id);
        context.Emit(EventTypes.Mes.TraceabilityEventCreated, new TraceabilityEventCreated
        {
            TraceabilityEventId = id,
            Activity = activity,
            SourceEventId = context.Event.Id,
            PartId = partId,
            LotNumber = lotNumber,
            SerialNumbers = serials,
            WorkOrderId = workOrderId,
            Quantity = quantity,
            OccurredAt = occurredAt,
        }, partitionKey: lotNumber ?? workOrderId ?? id);
        context.Write(new TraceabilityEvent
        {
            TraceabilityEventId = id,
            TenantId = context.Tenant,
            Activity = activity.ToString().ToUpperInvariant(),
            SourceEventId = context.Event.Id,
            PartId = partId,
            LotNumber = lotNumber,
            SerialNumbers = serials is { Count: > 0 } ? string.Join(',', serials) : null,
            WorkOrderId = workOrderId,
            Quantity = quantity,
            OccurredAt = occurredAt,
        });
    }

    private static GenealogyLink Link(string parent, string child, decimal? quantity, ActionContext context) =>
        new() { Parent = parent, Child = child, Quantity = quantity, SourceEventId = context.Event.Id };

    private static void LotGenealogyUpdated(ActionContext context, string lotNumber, string? partId, string workOrderId, IReadOnlyList<ConsumedLot> parents) =>
        context.Emit(EventTypes.Mes.TraceabilityLotGenealogyUpdated, new TraceabilityLotGenealogyUpdated
        {
            LotNumber = lotNumber,
            PartId = partId,
            WorkOrderId = workOrderId,
            ParentLots = parents,
        }, partitionKey: lotNumber);
}
