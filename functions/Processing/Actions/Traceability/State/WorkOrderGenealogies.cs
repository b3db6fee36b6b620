using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Traceability.State;

/// <summary>
/// A work order's genealogy: what it consumed (lots and serials issued to it or reported consumed at completion) and
/// produced (its lot and serials). The links are every input times every output. The document keeps counters only;
/// each input, each output and each applied event is a row of the work order's partition (<see cref="WorkOrderGenealogies"/>),
/// so the document and every row stay small however many serials the work order consumes or produces.
/// </summary>
/// <remarks>
/// Events are applied one at a time, each under a sequence number it claims on the document (<see cref="Pending"/>):
/// its rows are written, then the document moves on to that number. The links of the event with number s are its new
/// inputs times the outputs of numbers up to s, and the older inputs times its new outputs, so every link is made
/// exactly once, by the event that brought its second end, and a re-run finds the same links from the rows.
/// </remarks>
public sealed record WorkOrderGenealogy
{
    public required string WorkOrderId { get; init; }
    /// <summary>The part the work order produced, from its completion.</summary>
    public string? OutputPartId { get; init; }
    /// <summary>The number of the last event applied.</summary>
    public int Sequence { get; init; }
    public int InputCount { get; init; }
    public int OutputCount { get; init; }
    /// <summary>The event being applied and the number it claimed; others wait until it is done.</summary>
    public PendingGenealogy? Pending { get; init; }
}

public sealed record PendingGenealogy(string EventId, int Sequence);

public sealed record GenealogyInput
{
    public required GenealogyNode Node { get; init; }
    public string? PartId { get; init; }
    /// <summary>How much of a lot the work order consumed; null for serials (each is one piece).</summary>
    public decimal? Quantity { get; init; }
}

/// <summary>An input row: the input as it stands, its arrival position, the event number that added it, and its value before the last event that changed it.</summary>
public sealed record StoredInput
{
    public required GenealogyInput Input { get; init; }
    public required int Index { get; init; }
    public required int Sequence { get; init; }
    public int? ChangedIn { get; init; }
    public GenealogyInput? Before { get; init; }

    /// <summary>The input as event <paramref name="sequence"/> found it (null if that event added it): a re-run merges again from there.</summary>
    public GenealogyInput? AsBefore(int sequence) => Sequence == sequence ? null : ChangedIn == sequence ? Before : Input;
}

/// <summary>An output row: the lot or serial produced, its arrival position, and the event number that added it.</summary>
public sealed record StoredOutput(GenealogyNode Node, int Index, int Sequence);

/// <summary>One applied event: its number, and the quantities of the lots it linked.</summary>
public sealed record AppliedGenealogy
{
    public required string EventId { get; init; }
    public required int Sequence { get; init; }
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

/// <summary>Work-order genealogies (table <c>WorkOrderGenealogy</c>), one entity per (tenant, work order id).</summary>
public sealed class WorkOrderGenealogies(ITableServiceClient tables)
{
    public const string TableName = "WorkOrderGenealogy";
    private const int MaxWaits = 50;

    private readonly EntityStore<WorkOrderGenealogy> _store = new(tables, TableName);

    public Task<WorkOrderGenealogy?> GetAsync(string tenant, string workOrderId, CancellationToken cancellationToken) =>
        _store.GetAsync(tenant, StorageKeys.Escape(workOrderId), cancellationToken);

    /// <summary>The work order's inputs in arrival order.</summary>
    public async Task<IReadOnlyList<GenealogyInput>> InputsAsync(string tenant, string workOrderId, CancellationToken cancellationToken) =>
        [.. (await ListAsync<StoredInput>(tenant, workOrderId, InputPrefix, cancellationToken).ConfigureAwait(false)).OrderBy(i => i.Index).Select(i => i.Input)];

    /// <summary>Applies <paramref name="contribution"/> of event <paramref name="eventId"/> once; returns the links it made (the same on every re-run).</summary>
    public async Task<AppliedLinks> ApplyAsync(string tenant, string workOrderId, string eventId, GenealogyContribution contribution, CancellationToken cancellationToken)
    {
        var entity = StorageKeys.Escape(workOrderId);
        var appliedRow = StateTable.Row(AppliedPrefix, eventId);
        for (var wait = 0; ; wait++)
        {
            // Claim the next number, or find this event applied or holding its number from an earlier run.
            var (claimed, root, applied) = await _store.UpdateAsync(tenant, entity, [appliedRow], (current, rows) =>
            {
                var root = current ?? new WorkOrderGenealogy { WorkOrderId = workOrderId };
                if (rows.Get<AppliedGenealogy>(appliedRow) is { } done) return (null, (done.Sequence, root, done));
                if (root.Pending is { } pending) return (null, (pending.EventId == eventId ? pending.Sequence : -1, root, (AppliedGenealogy?)null));
                var next = root with { Pending = new PendingGenealogy(eventId, root.Sequence + 1) };
                return (new EntityChange<WorkOrderGenealogy>(next), (root.Sequence + 1, next, (AppliedGenealogy?)null));
            }, cancellationToken).ConfigureAwait(false);

            if (applied is not null) return await LinksOfAsync(tenant, workOrderId, root, applied, cancellationToken).ConfigureAwait(false);
            if (claimed >= 0) return await CompleteAsync(tenant, workOrderId, root, claimed, eventId, contribution, cancellationToken).ConfigureAwait(false);
            if (wait == MaxWaits) throw new TransientProcessingException($"The genealogy of work order {workOrderId} is being changed by event {root.Pending!.EventId}.");
            await Task.Delay(Random.Shared.Next(10, 50), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the rows of event number <paramref name="sequence"/>, then moves the document on to it.</summary>
    private async Task<AppliedLinks> CompleteAsync(string tenant, string workOrderId, WorkOrderGenealogy root, int sequence, string eventId,
        GenealogyContribution contribution, CancellationToken cancellationToken)
    {
        var entity = StorageKeys.Escape(workOrderId);
        var partition = StateTable.Partition(tenant, entity);
        var contributed = contribution.Inputs.DistinctBy(i => i.Node).ToArray();
        var storedInputs = await ReadRowsAsync<StoredInput>(partition, contributed.Select(i => InputRow(i.Node)), cancellationToken).ConfigureAwait(false);
        var storedOutputs = await ReadRowsAsync<StoredOutput>(partition, contribution.Outputs.Distinct().Select(OutputRow), cancellationToken).ConfigureAwait(false);

        var writes = new List<(string Partition, string Row, object Value)>();
        var newInputs = new List<StoredInput>();
        var inputCount = root.InputCount;
        foreach (var input in contributed)
        {
            var stored = storedInputs.GetValueOrDefault(InputRow(input.Node));
            var before = stored?.AsBefore(sequence);
            StoredInput next;
            if (before is null)
            {
                // Positions follow the contribution's order, so a re-run after a crash gives the same ones.
                next = new StoredInput { Input = input, Index = inputCount++, Sequence = sequence };
                newInputs.Add(next);
            }
            else
            {
                next = stored! with
                {
                    Input = before with
                    {
                        PartId = before.PartId ?? input.PartId,
                        Quantity = contribution.ReportsConsumption ? input.Quantity ?? before.Quantity : before.Quantity + input.Quantity,
                    },
                    ChangedIn = sequence,
                    Before = before,
                };
                if (next.Input == before) continue;
            }
            writes.Add((partition, InputRow(input.Node), next));
        }
        var outputCount = root.OutputCount;
        var newOutputs = new List<StoredOutput>();
        foreach (var node in contribution.Outputs.Distinct())
        {
            var stored = storedOutputs.GetValueOrDefault(OutputRow(node));
            if (stored is not null && stored.Sequence != sequence) continue;
            var output = new StoredOutput(node, outputCount++, sequence);
            newOutputs.Add(output);
            writes.Add((partition, OutputRow(node), output));
        }
        await _store.Table.PutAcrossAsync(writes, cancellationToken).ConfigureAwait(false);

        var outputPartId = root.OutputPartId ?? contribution.OutputPartId;
        var inputs = newOutputs.Count > 0 ? await ListAsync<StoredInput>(tenant, workOrderId, InputPrefix, cancellationToken).ConfigureAwait(false) : newInputs;
        var outputs = newInputs.Count > 0 && root.OutputCount + newOutputs.Count > 0
            ? await ListAsync<StoredOutput>(tenant, workOrderId, OutputPrefix, cancellationToken).ConfigureAwait(false)
            : newOutputs;
        var applied = new AppliedGenealogy
        {
            EventId = eventId,
            Sequence = sequence,
            // The lots this event links: all of them when outputs were added, else only the new ones; none before any output exists.
            LotQuantities = outputs.Count == 0 ? [] :
            [
                .. inputs.Where(i => i.Input.Node.IsLot && i.Sequence <= sequence && (newOutputs.Count > 0 || i.Sequence == sequence)).OrderBy(i => i.Index)
                    .Select(i => new LotQuantity(i.Input.Node.Number, i.Input.Quantity ?? 0m)),
            ],
        };
        var appliedRow = StateTable.Row(AppliedPrefix, eventId);
        await _store.UpdateAsync(tenant, entity, [appliedRow], (current, _) =>
        {
            if (current?.Pending?.EventId != eventId) throw new InvalidOperationException($"Event {eventId} lost its claim on the genealogy of {workOrderId}.");
            var next = current with
            {
                OutputPartId = outputPartId,
                Sequence = sequence,
                InputCount = inputCount,
                OutputCount = outputCount,
                Pending = null,
            };
            return (new EntityChange<WorkOrderGenealogy>(next).Put(appliedRow, applied), true);
        }, cancellationToken).ConfigureAwait(false);
        return new AppliedLinks(Edges(workOrderId, applied, inputs, outputs), outputPartId);
    }

    /// <summary>The links an applied event made, recomputed from the rows (a re-run).</summary>
    private async Task<AppliedLinks> LinksOfAsync(string tenant, string workOrderId, WorkOrderGenealogy root, AppliedGenealogy applied, CancellationToken cancellationToken)
    {
        var inputs = await ListAsync<StoredInput>(tenant, workOrderId, InputPrefix, cancellationToken).ConfigureAwait(false);
        var outputs = await ListAsync<StoredOutput>(tenant, workOrderId, OutputPrefix, cancellationToken).ConfigureAwait(false);
        return new AppliedLinks(Edges(workOrderId, applied, inputs, outputs), root.OutputPartId);
    }

    /// <summary>The event's new inputs with every output up to its number, and the older inputs with its new outputs, in arrival order.</summary>
    private static IReadOnlyList<GenealogyEdge> Edges(string workOrderId, AppliedGenealogy applied, IReadOnlyList<StoredInput> inputs, IReadOnlyList<StoredOutput> outputs) =>
    [
        .. from input in inputs.Where(i => i.Sequence <= applied.Sequence).OrderBy(i => i.Index)
           from output in outputs.Where(o => o.Sequence <= applied.Sequence).OrderBy(o => o.Index)
           where (input.Sequence == applied.Sequence || output.Sequence == applied.Sequence) && input.Input.Node != output.Node
           let node = input.Input.Node
           select new GenealogyEdge
           {
               Parent = node,
               Child = output.Node,
               WorkOrderId = workOrderId,
               Quantity = node.IsLot ? applied.LotQuantities.Single(q => q.LotNumber == node.Number).Quantity : null,
           },
    ];

    private async Task<IReadOnlyDictionary<string, T>> ReadRowsAsync<T>(string partition, IEnumerable<string> rows, CancellationToken cancellationToken) where T : class
    {
        var found = new System.Collections.Concurrent.ConcurrentDictionary<string, T>();
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = StateTable.MaxConcurrentRequests, CancellationToken = cancellationToken }, async (row, ct) =>
        {
            if (await _store.Table.GetAsync<T>(partition, row, ct).ConfigureAwait(false) is { } entry) found[row] = entry.Value;
        }).ConfigureAwait(false);
        return found;
    }

    private async Task<IReadOnlyList<T>> ListAsync<T>(string tenant, string workOrderId, string prefix, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await foreach (var row in _store.ListRowsAsync<T>(tenant, StorageKeys.Escape(workOrderId), prefix + "|", cancellationToken).ConfigureAwait(false)) rows.Add(row);
        return rows;
    }

    private const string InputPrefix = "input";
    private const string OutputPrefix = "output";
    private const string AppliedPrefix = "applied";

    private static string InputRow(GenealogyNode node) => StateTable.Row(InputPrefix, node.Kind, node.Number);

    private static string OutputRow(GenealogyNode node) => StateTable.Row(OutputPrefix, node.Kind, node.Number);
}
