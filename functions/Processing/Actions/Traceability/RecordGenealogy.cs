using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Traceability.State;
using EventProcessors.Processing.Actions.WorkOrders;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Traceability;

/// <summary>
/// material.received, material.issued, work-order.completed, quality.inspection.completed -> a traceability event for
/// each (traceability.event.created, a TraceabilityEvents row), and the lot/serial genealogy links they make
/// (GenealogyLinks rows, the <see cref="GenealogyStore"/> index, traceability.lot.genealogy.updated per produced lot
/// that gained parent lots).
/// </summary>
/// <remarks>
/// <para>A work order's links are every lot or serial it consumed times every lot or serial it produced. Consumed
/// means issued to it (material.issued: the lot, and the serials if any) or reported consumed by its completion
/// (<c>consumedLots</c>); produced means the completion's <c>producedLotNumber</c> and <c>producedSerialNumbers</c>.
/// A serial is linked to the material it was made from, not to the lot it was produced in: it is not made from that lot.
/// Issues after the completion still link to its outputs. Intermediates chain: a lot produced by one work order and
/// issued to another links on, so recall queries follow them to any depth.</para>
/// <para>A received lot has no parents; receipt and inspection are recorded as traceability events only.</para>
/// <para>Each link is made once, by the event that brought its second end, and is announced by that event only;
/// a re-run announces the same links again (<see cref="WorkOrderGenealogies"/> recomputes them from the work order's rows).</para>
/// </remarks>
public sealed class RecordGenealogy(ITableServiceClient tables) : IConsumerAction
{
    private readonly WorkOrderGenealogies _workOrders = new(tables);
    private readonly GenealogyStore _genealogy = new(tables);

    public ConsumerDefinition Definition => Consumers.RecordGenealogy;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var traceabilityEventId = DerivedIds.Uuid("traceability-event", context.Tenant, context.Event.Id);
        var ids = new StepIds(traceabilityEventId, context.Event.Id);
        var (step, contribution) = context.Payload switch
        {
            MaterialReceived received => Received(ids, received),
            MaterialIssued issued => Issued(ids, issued),
            WorkOrderCompleted completed => Produced(ids, completed),
            QualityInspectionCompleted inspected => Inspected(ids, inspected),
            _ => throw new InvalidOperationException($"{Definition.Name} does not handle {context.Payload.GetType().Name}."),
        };

        var linked = new AppliedLinks([], null);
        if (contribution is not null && step.WorkOrderId is { } workOrderId)
        {
            linked = await _workOrders.ApplyAsync(context.Tenant, workOrderId, context.Event.Id, contribution, cancellationToken).ConfigureAwait(false);
            await _genealogy.AddAsync(context.Tenant, linked.Edges, cancellationToken).ConfigureAwait(false);
        }
        var edges = linked.Edges;

        context.Emit(EventTypes.Mes.TraceabilityEventCreated, step, partitionKey: traceabilityEventId);
        context.Write(new TraceabilityEvent
        {
            TraceabilityEventId = traceabilityEventId,
            TenantId = context.Tenant,
            Activity = ActivityName(step.Activity),
            SourceEventId = context.Event.Id,
            SourceEventType = context.Event.Type,
            PartId = step.PartId,
            LotNumber = step.LotNumber,
            WorkOrderId = step.WorkOrderId,
            Quantity = step.Quantity,
            OccurredAt = step.OccurredAt,
        });

        foreach (var lot in edges.Where(e => e.Child.IsLot && e.Parent.IsLot).GroupBy(e => e.Child.Number))
            context.Emit(EventTypes.Mes.TraceabilityLotGenealogyUpdated, new TraceabilityLotGenealogyUpdated
            {
                LotNumber = lot.Key,
                PartId = linked.OutputPartId,
                WorkOrderId = step.WorkOrderId,
                ParentLots = [.. lot.Select(e => new ConsumedLot { LotNumber = e.Parent.Number, Quantity = e.Quantity ?? 0m })],
            }, partitionKey: lot.Key);
        foreach (var edge in edges)
            context.Write(new GenealogyLink
            {
                LinkId = DerivedIds.Uuid("genealogy-link", context.Tenant, edge.Parent.Kind, edge.Parent.Number, edge.Child.Kind, edge.Child.Number),
                TenantId = context.Tenant,
                ParentType = edge.Parent.Kind,
                ParentNumber = edge.Parent.Number,
                ChildType = edge.Child.Kind,
                ChildNumber = edge.Child.Number,
                WorkOrderId = edge.WorkOrderId,
                Quantity = edge.Quantity,
                LinkedAt = step.OccurredAt,
            });
    }

    private static (TraceabilityEventCreated, GenealogyContribution?) Received(StepIds ids, MaterialReceived received)
    {
        InputRules.NotBlank(received.LotNumber, "$.data.lotNumber");
        InputRules.NotBlank(received.PartId, "$.data.partId");
        InputRules.Positive(received.Quantity, "$.data.quantity");
        return (Step(ids, TraceabilityActivity.Received, received.ReceivedAt) with
        {
            PartId = received.PartId,
            LotNumber = received.LotNumber,
            Quantity = received.Quantity,
        }, null);
    }

    private static (TraceabilityEventCreated, GenealogyContribution?) Issued(StepIds ids, MaterialIssued issued)
    {
        InputRules.NotBlank(issued.WorkOrderId, "$.data.workOrderId");
        InputRules.NotBlank(issued.LotNumber, "$.data.lotNumber");
        InputRules.NotBlank(issued.PartId, "$.data.partId");
        InputRules.Positive(issued.Quantity, "$.data.quantity");
        var serials = Serials(issued.SerialNumbers, "$.data.serialNumbers");
        var inputs = new List<GenealogyInput> { new() { Node = GenealogyNode.Lot(issued.LotNumber), PartId = issued.PartId, Quantity = issued.Quantity } };
        inputs.AddRange(serials.Select(s => new GenealogyInput { Node = GenealogyNode.Serial(s), PartId = issued.PartId }));
        return (Step(ids, TraceabilityActivity.Issued, issued.IssuedAt) with
        {
            PartId = issued.PartId,
            LotNumber = issued.LotNumber,
            SerialNumbers = issued.SerialNumbers is null ? null : serials,
            WorkOrderId = issued.WorkOrderId,
            Quantity = issued.Quantity,
        }, new GenealogyContribution(inputs, [], OutputPartId: null, ReportsConsumption: false));
    }

    private static (TraceabilityEventCreated, GenealogyContribution?) Produced(StepIds ids, WorkOrderCompleted completed)
    {
        CompletionRules.Validate(completed);
        var consumed = (completed.ConsumedLots ?? []).Select((lot, i) =>
        {
            var path = $"$.data.consumedLots[{i}]";
            InputRules.NotBlank(lot.LotNumber, path + ".lotNumber");
            InputRules.Positive(lot.Quantity, path + ".quantity");
            return lot;
        }).ToList();
        // A lot listed twice was consumed in two portions: one input with their sum.
        var inputs = consumed.GroupBy(l => l.LotNumber).Select(g => new GenealogyInput
        {
            Node = GenealogyNode.Lot(g.Key),
            PartId = g.Select(l => l.PartId).FirstOrDefault(p => p is not null),
            Quantity = g.Sum(l => l.Quantity),
        }).ToList();
        var serials = Serials(completed.ProducedSerialNumbers, "$.data.producedSerialNumbers");
        var outputs = new List<GenealogyNode>();
        if (completed.ProducedLotNumber is { } lot) outputs.Add(GenealogyNode.Lot(lot));
        outputs.AddRange(serials.Select(GenealogyNode.Serial));
        return (Step(ids, TraceabilityActivity.Produced, completed.CompletedAt) with
        {
            PartId = completed.PartId,
            LotNumber = completed.ProducedLotNumber,
            SerialNumbers = completed.ProducedSerialNumbers is null ? null : serials,
            WorkOrderId = completed.WorkOrderId,
            Quantity = completed.QuantityCompleted,
        }, new GenealogyContribution(inputs, outputs, completed.PartId, ReportsConsumption: true));
    }

    private static (TraceabilityEventCreated, GenealogyContribution?) Inspected(StepIds ids, QualityInspectionCompleted inspected)
    {
        InputRules.NotBlank(inspected.InspectionId, "$.data.inspectionId");
        InputRules.NotBlank(inspected.WorkOrderId, "$.data.workOrderId");
        InputRules.NotNegative(inspected.QuantityInspected, "$.data.quantityInspected");
        return (Step(ids, TraceabilityActivity.Inspected, inspected.InspectionDate) with
        {
            PartId = inspected.PartId,
            LotNumber = inspected.LotNumber,
            SerialNumbers = inspected.SerialNumbers,
            WorkOrderId = inspected.WorkOrderId,
            Quantity = inspected.QuantityInspected,
        }, null);
    }

    /// <summary>Serial numbers, each once, in the order given; a blank one is invalid.</summary>
    private static IReadOnlyList<string> Serials(IReadOnlyList<string>? serials, string path) =>
        [.. (serials ?? []).Select((s, i) => InputRules.NotBlank(s, $"{path}[{i}]")).Distinct(StringComparer.Ordinal)];

    private static TraceabilityEventCreated Step(StepIds ids, TraceabilityActivity activity, DateTimeOffset at) => new()
    {
        TraceabilityEventId = ids.TraceabilityEventId,
        SourceEventId = ids.SourceEventId,
        Activity = activity,
        OccurredAt = at,
    };

    /// <summary>The contract's wire names (RECEIVED, ISSUED, PRODUCED, INSPECTED) are the members' names in capitals.</summary>
    private static string ActivityName(TraceabilityActivity activity) => activity.ToString().ToUpperInvariant();

    private sealed record StepIds(string TraceabilityEventId, string SourceEventId);
}
