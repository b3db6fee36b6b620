using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Traceability.State;

/// <summary>A lot or a serial: what a genealogy links.</summary>
public sealed record GenealogyNode(string Kind, string Number) : IComparable<GenealogyNode>
{
    public const string LotKind = "LOT";
    public const string SerialKind = "SERIAL";

    public static GenealogyNode Lot(string lotNumber) => new(LotKind, lotNumber);

    public static GenealogyNode Serial(string serialNumber) => new(SerialKind, serialNumber);

    public bool IsLot => Kind == LotKind;

    public int CompareTo(GenealogyNode? other) =>
        other is null ? 1
        : Kind != other.Kind ? string.CompareOrdinal(Kind, other.Kind)
        : string.CompareOrdinal(Number, other.Number);

    public override string ToString() => $"{Kind} {Number}";
}

/// <summary>
/// One genealogy link: <see cref="Child"/> (a produced lot or serial) was made by work order <see cref="WorkOrderId"/>
/// from <see cref="Parent"/> (a lot or serial it consumed); <see cref="Quantity"/> is how much of a parent lot the work
/// order consumed, as known when the link was made.
/// </summary>
public sealed record GenealogyEdge
{
    public required GenealogyNode Parent { get; init; }
    public required GenealogyNode Child { get; init; }
    public required string WorkOrderId { get; init; }
    public decimal? Quantity { get; init; }
}

/// <summary>
/// The genealogy index (table <c>GenealogyIndex</c>; the GenealogyLinks records go to their own table). Every link is
/// stored twice, once under its parent (forward: what was made from a lot) and once under its child (backward: what a
/// serial was made from), each node's links in a partition of their own, so both recall questions are partition scans
/// and no node's links share a partition with another's. Links are independent rows written by upsert, a node's new
/// links in batches of up to 100 and a bounded number of requests at once: any number of work orders can link the same
/// lot at once without contention, and writing a link again changes nothing.
/// </summary>
public sealed class GenealogyStore(ITableServiceClient tables)
{
    public const string TableName = "GenealogyIndex";
    private const string Forward = "down";
    private const string Backward = "up";

    private readonly StateTable _links = new(tables, TableName);

    public Task AddAsync(string tenant, IReadOnlyCollection<GenealogyEdge> edges, CancellationToken cancellationToken) =>
        _links.PutAcrossAsync(edges.SelectMany(edge => new (string, string, object)[]
        {
            (Partition(tenant, Forward, edge.Parent), Row(edge.Child), edge),
            (Partition(tenant, Backward, edge.Child), Row(edge.Parent), edge),
        }), cancellationToken);

    /// <summary>The links from <paramref name="parent"/> to what was made from it directly.</summary>
    public Task<IReadOnlyList<GenealogyEdge>> ChildrenAsync(string tenant, GenealogyNode parent, CancellationToken cancellationToken = default) =>
        ListAsync(tenant, Forward, parent, cancellationToken);

    /// <summary>The links from what <paramref name="child"/> was made of directly.</summary>
    public Task<IReadOnlyList<GenealogyEdge>> ParentsAsync(string tenant, GenealogyNode child, CancellationToken cancellationToken = default) =>
        ListAsync(tenant, Backward, child, cancellationToken);

    /// <summary>Everything made from <paramref name="node"/>, at any depth (intermediates and what they went into), sorted.</summary>
    public Task<IReadOnlyList<GenealogyNode>> DescendantsAsync(string tenant, GenealogyNode node, CancellationToken cancellationToken = default) =>
        WalkAsync(node, n => ChildrenAsync(tenant, n, cancellationToken), e => e.Child);

    /// <summary>Everything <paramref name="node"/> was made from, at any depth, sorted.</summary>
    public Task<IReadOnlyList<GenealogyNode>> AncestorsAsync(string tenant, GenealogyNode node, CancellationToken cancellationToken = default) =>
        WalkAsync(node, n => ParentsAsync(tenant, n, cancellationToken), e => e.Parent);

    /// <summary>Recall, forward: every lot and serial produced that contains lot <paramref name="lotNumber"/>, directly or through intermediates.</summary>
    public Task<IReadOnlyList<GenealogyNode>> OutputsContainingLotAsync(string tenant, string lotNumber, CancellationToken cancellationToken = default) =>
        DescendantsAsync(tenant, GenealogyNode.Lot(lotNumber), cancellationToken);

    /// <summary>Recall, backward: every lot that went into serial <paramref name="serialNumber"/>, directly or through intermediates.</summary>
    public async Task<IReadOnlyList<string>> LotsInSerialAsync(string tenant, string serialNumber, CancellationToken cancellationToken = default) =>
        [.. (await AncestorsAsync(tenant, GenealogyNode.Serial(serialNumber), cancellationToken).ConfigureAwait(false))
            .Where(n => n.IsLot).Select(n => n.Number)];

    private async Task<IReadOnlyList<GenealogyEdge>> ListAsync(string tenant, string direction, GenealogyNode node, CancellationToken cancellationToken)
    {
        var edges = new List<GenealogyEdge>();
        await foreach (var edge in _links.ListAsync<GenealogyEdge>(Partition(tenant, direction, node), "", cancellationToken).ConfigureAwait(false))
            edges.Add(edge);
        return edges;
    }

    /// <summary>Breadth first, one level's lookups at a time in parallel; the visited set ends cycles (a lot reworked into itself).</summary>
    private static async Task<IReadOnlyList<GenealogyNode>> WalkAsync(GenealogyNode start, Func<GenealogyNode, Task<IReadOnlyList<GenealogyEdge>>> step, Func<GenealogyEdge, GenealogyNode> next)
    {
        var visited = new HashSet<GenealogyNode> { start };
        var found = new List<GenealogyNode>();
        var level = new List<GenealogyNode> { start };
        while (level.Count > 0)
        {
            var edges = await Task.WhenAll(level.Select(step)).ConfigureAwait(false);
            level = [.. edges.SelectMany(e => e).Select(next).Where(visited.Add)];
            found.AddRange(level);
        }
        found.Sort();
        return found;
    }

    private static string Partition(string tenant, string direction, GenealogyNode node) =>
        StateTable.Partition(tenant, StorageKeys.Join(direction, node.Kind, node.Number));

    private static string Row(GenealogyNode node) => StateTable.Row(node.Kind, node.Number);
}
