using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Traceability.State;

/// <summary>
/// What one work order consumed (lots and serials issued to it or reported consumed at completion) and produced
/// (its lot and serials). The links of its genealogy are every input times every output. Issues and the completion
/// can arrive in any order, and concurrently: each event's links are decided on this document under its ETag, so
/// every link is made exactly once, by the event that brought its second end.
/// </summary>
/// <remarks>
/// <see cref="Inputs"/> and <see cref="Outputs"/> only grow, in arrival order, so an applied event is kept as the
/// list lengths before and after it (not as its links, which for a work order producing a thousand serials would
/// outgrow a table entity); its links are recomputed from them exactly on a re-run.
/// </remarks>
public sealed record WorkOrderGenealogy
{
    public required string WorkOrderId { get; init; }
    /// <summary>The part the work order produced, from its completion.</summary>
    public string? OutputPartId { get; init; }
    public required IReadOnlyList<GenealogyInput> Inputs { get; init; }
    public required IReadOnlyList<GenealogyNode> Outputs { get; init; }
    /// <summary>Every event applied: a re-run finds its entry and returns the same links instead of applying twice.</summary>
    public required IReadOnlyList<AppliedGenealogy> Applied { get; init; }

    /// <summary>The links <paramref name="applied"/> made: its new inputs with every output, every input with its new outputs.</summary>
    public IReadOnlyList<GenealogyEdge> EdgesOf(AppliedGenealogy applied) =>
    [
        .. from i in Enumerable.Range(0, applied.InputsAfter)
           from o in Enumerable.Range(0, applied.OutputsAfter)
           where !(i < applied.InputsBefore && o < applied.OutputsBefore) && Inputs[i].Node != Outputs[o]
           let input = Inputs[i].Node
           select new GenealogyEdge
           {
               Parent = input,
               Child = Outputs[o],
               WorkOrderId = WorkOrderId,
               Quantity = input.IsLot ? applied.LotQuantities.Single(q => q.LotNumber == input.Number).Quantity : null,
           },
    ];
}

public sealed record GenealogyInput
{
    public required GenealogyNode Node { get; init; }
    public string? PartId { get; init; }
    /// <summary>How much of a lot the work order consumed; null for serials (each is one piece).</summary>
    public decimal? Quantity { get; init; }
}

/// <summary>One applied event: the lengths of the input and output lists before and after it, and the quantities of the lots it linked.</summary>
public sealed record AppliedGenealogy
{
    public required string EventId { get; init; }
    public required int InputsBefore { get; init; }
    public required int InputsAfter { get; init; }
    public required int OutputsBefore { get; init; }
    public required int OutputsAfter { get; init; }
    /// <summary>How much of each parent lot the work order had consumed when the links were made (later issues do not change them).</summary>
    public required IReadOnlyList<LotQuantity> LotQuantities { get; init; }
}

public sealed record LotQuantity(string LotNumber, decimal Quantity);

/// <summary>What one event tells about a work order's inputs and outputs.</summary>
/// <param name="Inputs">Lots and serials consumed.</param>
/// <param name="Outputs">Lots and serials produced.</param>
/// <param name="OutputPartId">The part produced, when the event says (the completion).</param>
/// <param name="ReportsConsumption">
/// True for the completion, whose consumed quantities are the work order's final statement and replace what issues added up;
/// false for an issue, whose quantity adds to what was issued before.
/// </param>
public sealed record GenealogyContribution(IReadOnlyList<GenealogyInput> Inputs, IReadOnlyList<GenealogyNode> Outputs, string? OutputPartId, bool ReportsConsumption);

/// <summary>The links one event made, and the part of the work order's outputs they lead to.</summary>
public sealed record AppliedLinks(IReadOnlyList<GenealogyEdge> Edges, string? OutputPartId);

/// <summary>Work-order genealogy documents (table <c>WorkOrderGenealogy</c>), one per (tenant, work order id).</summary>
public sealed class WorkOrderGenealogies(ITableServiceClient tables)
{
    public const string TableName = "WorkOrderGenealogy";

    private readonly StateStore<WorkOrderGenealogy> _store = new(tables, TableName);

    public async Task<WorkOrderGenealogy?> GetAsync(string tenant, string workOrderId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, workOrderId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Applies <paramref name="contribution"/> of event <paramref name="eventId"/> once; returns the links it made (the same on every re-run).</summary>
    public Task<AppliedLinks> ApplyAsync(string tenant, string workOrderId, string eventId, GenealogyContribution contribution, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, workOrderId, current =>
        {
            var before = current ?? new WorkOrderGenealogy { WorkOrderId = workOrderId, Inputs = [], Outputs = [], Applied = [] };
            if (before.Applied.FirstOrDefault(a => a.EventId == eventId) is { } done) return (null, new AppliedLinks(before.EdgesOf(done), before.OutputPartId));

            var inputs = before.Inputs.ToList();
            foreach (var input in contribution.Inputs)
            {
                var at = inputs.FindIndex(i => i.Node == input.Node);
                if (at < 0) inputs.Add(input);
                else inputs[at] = inputs[at] with
                {
                    PartId = inputs[at].PartId ?? input.PartId,
                    Quantity = contribution.ReportsConsumption ? input.Quantity ?? inputs[at].Quantity : inputs[at].Quantity + input.Quantity,
                };
            }
            var outputs = before.Outputs.Union(contribution.Outputs).ToList();
            var outputsGrew = outputs.Count > before.Outputs.Count;
            var applied = new AppliedGenealogy
            {
                EventId = eventId,
                InputsBefore = before.Inputs.Count,
                InputsAfter = inputs.Count,
                OutputsBefore = before.Outputs.Count,
                OutputsAfter = outputs.Count,
                // The lots this event links: all of them when outputs were added, else only the new ones; none before any output exists.
                LotQuantities = outputs.Count == 0 ? [] :
                [
                    .. inputs.Select((input, i) => (input, i))
                        .Where(x => x.input.Node.IsLot && (outputsGrew || x.i >= before.Inputs.Count))
                        .Select(x => new LotQuantity(x.input.Node.Number, x.input.Quantity ?? 0m)),
                ],
            };
            var next = before with
            {
                OutputPartId = before.OutputPartId ?? contribution.OutputPartId,
                Inputs = inputs,
                Outputs = outputs,
                Applied = [.. before.Applied, applied],
            };
            return (next, new AppliedLinks(next.EdgesOf(applied), next.OutputPartId));
        }, cancellationToken);
}
