using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Traceability.State;

/// <summary>
/// What one work order consumed (lots and serials issued to it or reported consumed at completion) and produced
/// (its lot and serials). The links of its genealogy are every input times every output. Issues and the completion
/// can arrive in any order, and concurrently: each event's links are decided on this document under its ETag, so
/// every link is made exactly once, by the event that brought its second end.
/// </summary>
public sealed record WorkOrderGenealogy
{
    public required string WorkOrderId { get; init; }
    public required IReadOnlyList<GenealogyInput> Inputs { get; init; }
    public required IReadOnlyList<GenealogyNode> Outputs { get; init; }
    /// <summary>Every event applied, with the links it made: a re-run returns them instead of applying twice.</summary>
    public required IReadOnlyList<AppliedGenealogy> Applied { get; init; }
}

public sealed record GenealogyInput
{
    public required GenealogyNode Node { get; init; }
    public string? PartId { get; init; }
    /// <summary>How much of a lot the work order consumed; null for serials (each is one piece).</summary>
    public decimal? Quantity { get; init; }
}

public sealed record AppliedGenealogy
{
    public required string EventId { get; init; }
    public required IReadOnlyList<GenealogyEdge> Edges { get; init; }
}

/// <summary>What one event tells about a work order's inputs and outputs.</summary>
/// <param name="Inputs">Lots and serials consumed.</param>
/// <param name="Outputs">Lots and serials produced.</param>
/// <param name="ReportsConsumption">
/// True for the completion, whose consumed quantities are the work order's final statement and replace what issues added up;
/// false for an issue, whose quantity adds to what was issued before.
/// </param>
public sealed record GenealogyContribution(IReadOnlyList<GenealogyInput> Inputs, IReadOnlyList<GenealogyNode> Outputs, bool ReportsConsumption);

/// <summary>Work-order genealogy documents (table <c>WorkOrderGenealogy</c>), one per (tenant, work order id).</summary>
public sealed class WorkOrderGenealogies(ITableServiceClient tables)
{
    public const string TableName = "WorkOrderGenealogy";

    private readonly StateStore<WorkOrderGenealogy> _store = new(tables, TableName);

    public async Task<WorkOrderGenealogy?> GetAsync(string tenant, string workOrderId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(tenant, workOrderId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Applies <paramref name="contribution"/> of event <paramref name="eventId"/> once; returns the links it made (the same on every re-run).</summary>
    public Task<IReadOnlyList<GenealogyEdge>> ApplyAsync(string tenant, string workOrderId, string eventId, GenealogyContribution contribution, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, workOrderId, current =>
        {
            var before = current ?? new WorkOrderGenealogy { WorkOrderId = workOrderId, Inputs = [], Outputs = [], Applied = [] };
            if (before.Applied.FirstOrDefault(a => a.EventId == eventId) is { } applied) return (null, applied.Edges);

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
            var knownInputs = before.Inputs.Select(i => i.Node).ToHashSet();
            var knownOutputs = before.Outputs.ToHashSet();
            IReadOnlyList<GenealogyEdge> edges =
            [
                .. from input in inputs
                   from output in outputs
                   where input.Node != output && !(knownInputs.Contains(input.Node) && knownOutputs.Contains(output))
                   select new GenealogyEdge { Parent = input.Node, Child = output, WorkOrderId = workOrderId, Quantity = input.Quantity },
            ];
            var next = before with
            {
                Inputs = inputs,
                Outputs = outputs,
                Applied = [.. before.Applied, new AppliedGenealogy { EventId = eventId, Edges = edges }],
            };
            return (next, edges);
        }, cancellationToken);
}
