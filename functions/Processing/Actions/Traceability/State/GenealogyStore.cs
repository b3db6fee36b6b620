using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Traceability.State;

/// <summary>A node of the genealogy graph: a lot, a serial, or the work order that turned inputs into outputs.</summary>
public static class GenealogyNode
{
    public const string LotPrefix = "LOT:";
    public const string SerialPrefix = "SERIAL:";
    public const string WorkOrderPrefix = "WO:";

    public static string Lot(string lotNumber) => LotPrefix + lotNumber;
    public static string Serial(string serialNumber) => SerialPrefix + serialNumber;
    public static string WorkOrder(string workOrderId) => WorkOrderPrefix + workOrderId;
}

/// <summary>
/// One genealogy link: <see cref="Parent"/> went into <see cref="Child"/> (a lot into a work order, a work order into
/// the lot or serial it produced). Work orders sit between inputs and outputs, so material issued before or after
/// the completion links up either way.
/// </summary>
public sealed record GenealogyLink
{
    public required string Parent { get; init; }
    public required string Child { get; init; }
    /// <summary>How much of the parent went in, when the event says.</summary>
    public decimal? Quantity { get; init; }
    public required string SourceEventId { get; init; }
}

/// <summary>What a recall of one lot reaches: every lot and serial made from it, directly or through intermediate lots.</summary>
public sealed record RecallOutputs(IReadOnlyList<string> LotNumbers, IReadOnlyList<string> SerialNumbers);

/// <summary>
/// The genealogy index (table Genealogy, by tenant). Each link is two rows with keys derived from the link alone:
/// forward "F/{parent}/{child}" and backward "B/{child}/{parent}". A link is written whole by an unconditional
/// upsert of its own rows, so concurrent links (even for one lot) never contend and a re-run rewrites the same rows.
/// </summary>
public sealed class GenealogyStore(ITableServiceClient tables)
{
    public const string TableName = "Genealogy";

    private readonly StateStore<GenealogyLink> _links = new(tables, TableName);

    public async Task LinkAsync(string tenant, GenealogyLink link, CancellationToken cancellationToken)
    {
        await _links.PutAsync(tenant, $"F/{link.Parent}/{link.Child}", link, cancellationToken).ConfigureAwait(false);
        await _links.PutAsync(tenant, $"B/{link.Child}/{link.Parent}", link, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The direct children of <paramref name="node"/>.</summary>
    public async Task<IReadOnlyList<GenealogyLink>> ChildrenAsync(string tenant, string node, CancellationToken cancellationToken) =>
        // The prefix also matches nodes whose name extends this one ("LOT:A/B"); the link itself says whose it is.
        await _links.ListAsync(tenant, $"F/{node}/", cancellationToken).Where(l => l.Parent == node).ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The direct parents of <paramref name="node"/>.</summary>
    public async Task<IReadOnlyList<GenealogyLink>> ParentsAsync(string tenant, string node, CancellationToken cancellationToken) =>
        await _links.ListAsync(tenant, $"B/{node}/", cancellationToken).Where(l => l.Child == node).ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Recall, forward: which lots and serials contain lot <paramref name="lotNumber"/>, transitively.</summary>
    public async Task<RecallOutputs> OutputsContainingLotAsync(string tenant, string lotNumber, CancellationToken cancellationToken)
    {
        var reached = await WalkAsync(tenant, GenealogyNode.Lot(lotNumber), forward: true, cancellationToken).ConfigureAwait(false);
        return new RecallOutputs(Named(reached, GenealogyNode.LotPrefix), Named(reached, GenealogyNode.SerialPrefix));
    }

    /// <summary>Recall, backward: which lots went into serial <paramref name="serialNumber"/>, transitively.</summary>
    public async Task<IReadOnlyList<string>> LotsInSerialAsync(string tenant, string serialNumber, CancellationToken cancellationToken) =>
        Named(await WalkAsync(tenant, GenealogyNode.Serial(serialNumber), forward: false, cancellationToken).ConfigureAwait(false), GenealogyNode.LotPrefix);

    private async Task<HashSet<string>> WalkAsync(string tenant, string start, bool forward, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var pending = new Queue<string>([start]);
        while (pending.TryDequeue(out var node))
        {
            var links = forward
                ? await ChildrenAsync(tenant, node, cancellationToken).ConfigureAwait(false)
                : await ParentsAsync(tenant, node, cancellationToken).ConfigureAwait(false);
            foreach (var next in links.Select(l => forward ? l.Child : l.Parent))
                if (seen.Add(next)) pending.Enqueue(next);
        }
        seen.Remove(start);
        return seen;
    }

    private static string[] Named(IEnumerable<string> nodes, string prefix) =>
        nodes.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]).Order(StringComparer.Ordinal).ToArray();
}
